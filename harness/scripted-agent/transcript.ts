import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One message of a session's transcript as the scripted agent keeps it. */
export interface TranscriptEntry {
  role: "user" | "agent";
  text: string;
}

/** What the scripted agent knows of a saved session. */
export interface SessionTranscript {
  sessionId: string;
  cwd: string;
  modeId: string | null;
  entries: TranscriptEntry[];
}

/** One line of a session file. */
type TranscriptLine =
  | { t: "session"; sessionId: string; cwd: string; modeId: string | null }
  | { t: "entry"; role: "user" | "agent"; text: string }
  | { t: "mode"; modeId: string | null };

/** Path of a session's file under the agent's state dir (what its agent state kind names). */
export function scriptedSessionFile(stateDir: string, sessionId: string): string {
  return join(stateDir, "sessions", `${sessionId}.jsonl`);
}

/**
 * Session transcripts on disk, one append-only JSONL file per session under
 * `<stateDir>/sessions/<id>.jsonl`, as coding agents keep theirs (Claude Code's transcript):
 * a `session` line, then one line per message or mode change. `session/load` reads the file,
 * so an agent started on an empty state dir (a lost sandbox) does not know the session, and one
 * whose file was put back does.
 */
export class TranscriptStore {
  constructor(private readonly stateDir: string) {}

  /** Reads a session's transcript; `undefined` when the session was never saved here. A torn last line is ignored. */
  read(sessionId: string): SessionTranscript | undefined {
    const file = this.file(sessionId);
    if (file === undefined || !existsSync(file)) return undefined;
    let transcript: SessionTranscript | undefined;
    for (const text of readFileSync(file, "utf8").split("\n")) {
      if (text === "") continue;
      let line: TranscriptLine;
      try {
        line = JSON.parse(text) as TranscriptLine;
      } catch {
        continue;
      }
      if (line.t === "session") transcript = { sessionId: line.sessionId, cwd: line.cwd, modeId: line.modeId, entries: [] };
      else if (transcript && line.t === "entry") transcript.entries.push({ role: line.role, text: line.text });
      else if (transcript && line.t === "mode") transcript.modeId = line.modeId;
    }
    return transcript;
  }

  /** Starts a session's file. */
  create(sessionId: string, cwd: string, modeId: string | null): void {
    this.append(sessionId, { t: "session", sessionId, cwd, modeId });
  }

  /** Appends a message. */
  addEntry(sessionId: string, entry: TranscriptEntry): void {
    this.append(sessionId, { t: "entry", role: entry.role, text: entry.text });
  }

  /** Appends a mode change. */
  setMode(sessionId: string, modeId: string | null): void {
    this.append(sessionId, { t: "mode", modeId });
  }

  private append(sessionId: string, line: TranscriptLine): void {
    const file = this.file(sessionId);
    if (file === undefined) throw new Error(`invalid session id ${sessionId}`);
    mkdirSync(join(this.stateDir, "sessions"), { recursive: true });
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }

  // Session ids come from the client on session/load: never let one name a path outside the dir.
  private file(sessionId: string): string | undefined {
    return /^[A-Za-z0-9_-]{1,128}$/.test(sessionId) ? scriptedSessionFile(this.stateDir, sessionId) : undefined;
  }
}
