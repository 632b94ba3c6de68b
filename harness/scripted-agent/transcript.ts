import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One message of a session's transcript as the scripted agent keeps it. */
export interface TranscriptEntry {
  role: "user" | "agent";
  text: string;
}

/** What the scripted agent persists for each session. */
export interface SessionTranscript {
  sessionId: string;
  cwd: string;
  modeId: string | null;
  entries: TranscriptEntry[];
}

/** Session transcripts on disk, one JSON file per session under `<stateDir>/sessions/`. */
export class TranscriptStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "sessions");
  }

  /** Reads a session's transcript; `undefined` when the session was never saved here. */
  read(sessionId: string): SessionTranscript | undefined {
    const file = this.file(sessionId);
    if (file === undefined || !existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, "utf8")) as SessionTranscript;
  }

  /** Saves a session's transcript atomically. */
  write(transcript: SessionTranscript): void {
    const file = this.file(transcript.sessionId);
    if (file === undefined) throw new Error(`invalid session id ${transcript.sessionId}`);
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(transcript));
    renameSync(tmp, file);
  }

  // Session ids come from the client on session/load: never let one name a path outside the dir.
  private file(sessionId: string): string | undefined {
    return /^[A-Za-z0-9_-]{1,128}$/.test(sessionId) ? join(this.dir, `${sessionId}.json`) : undefined;
  }
}
