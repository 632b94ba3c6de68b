import { appendFile, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionKey, SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";
import type { StoreUnderTest, Subject } from "../session-store/subject.js";

// A file shape as Claude Code keeps its own transcripts: one JSONL file per transcript under a
// directory per project, entries appended with fs.appendFile (no de-duplication, no sync, no
// lock), a load one readFile, listSessions a readdir and a stat per file for its mtime.

const safe = (text: string) => encodeURIComponent(text).replace(/\./g, "%2E");

class ReferenceFileStore implements StoreUnderTest {
  constructor(private readonly root: string) {}

  async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(join(this.root, safe(key.projectKey)), { recursive: true });
    await appendFile(this.#file(key), entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
  }

  async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    let text: string;
    try {
      text = await readFile(this.#file(key), "utf8");
    } catch {
      return null;
    }
    return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as SessionStoreEntry);
  }

  async listSessions(projectKey: string): Promise<{ sessionId: string; mtime: number }[]> {
    const dir = join(this.root, safe(projectKey));
    const names = (await readdir(dir)).filter((name) => name.endsWith(".main.jsonl"));
    return Promise.all(
      names.map(async (name) => ({ sessionId: decodeURIComponent(name.slice(0, -".main.jsonl".length)), mtime: Math.floor((await stat(join(dir, name))).mtimeMs) })),
    );
  }

  #file(key: SessionKey): string {
    const tail = key.subpath === undefined ? "main" : `sub.${safe(key.subpath)}`;
    return join(this.root, safe(key.projectKey), `${safe(key.sessionId)}.${tail}.jsonl`);
  }
}

/** The reference shape in a fresh temp directory. */
export const referenceFile: Subject = {
  name: "reference shape (JSONL per transcript, appendFile, no sync)",
  engine: "file",
  reference: true,
  async open() {
    const root = mkdtempSync(join(tmpdir(), "durable-agent-bench-ref-"));
    return { store: new ReferenceFileStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
};
