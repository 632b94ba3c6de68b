import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parseAgentStatePath } from "../src/persist/agent-state-schema.js";
import { PersistError } from "../src/persist/errors.js";
import { parseSessionEvent, parseSessionRecord } from "../src/persist/schemas.js";
import type { SessionEvent, SessionRecord } from "../src/persist/types.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { EXPORT_HEADER, READABLE_EXPORT_VERSIONS } from "./export-format.js";

// Reading an export back, one session at a time (its record and all its events), with every
// line checked: the header, JSON, the record and event schemas the drivers enforce, events
// after their own session's record, indexes ascending, no id twice, agent state files after
// their session's events, each whole (its pieces contiguous from offset 0 to its size, the
// base64 canonical). A bad line stops the read with the line's number and what is wrong.

/** One session of an export. */
export interface ExportedSession {
  /** The record. */
  record: SessionRecord;
  /** Its events, ascending `eventIndex`. */
  events: SessionEvent[];
  /** Its agent state files, whole, in file order (none in a version 1 export). */
  agentState: { path: string; data: Uint8Array }[];
  /** Line number of the record. */
  line: number;
}

function bad(file: string, line: number, why: string): CliError {
  return new CliError("cli.bad_import", EXIT.dataRefused, `${file}, line ${line}: ${why}; nothing was imported`);
}

/** The sessions of the export in `path`, in file order. @throws CliError `cli.bad_import` (exit 5) on the first bad line. */
export async function* readExport(path: string, display = path): AsyncGenerator<ExportedSession> {
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  let current: ExportedSession | undefined;
  let version = 0;
  /** The agent state file whose pieces are being read. */
  let file: { path: string; size: number; pieces: Buffer[]; read: number; line: number } | undefined;
  const finishFile = () => {
    if (!file) return;
    if (file.read !== file.size) throw bad(display, file.line, `agent state file "${file.path}" ends at byte ${file.read} of its ${file.size} (lines missing)`);
    current!.agentState.push({ path: file.path, data: new Uint8Array(Buffer.concat(file.pieces)) });
    file = undefined;
  };
  const sessionIds = new Set<string>();
  const eventIds = new Set<string>();
  try {
    for await (const text of lines) {
      n += 1;
      if (n === 1) {
        let header: unknown;
        try {
          header = JSON.parse(text);
        } catch {
          header = undefined;
        }
        const h = header as { format?: unknown; version?: unknown } | undefined;
        if (h?.format !== EXPORT_HEADER.format) throw bad(display, n, `not a durable-agent export (the first line must be ${JSON.stringify(EXPORT_HEADER)})`);
        if (typeof h.version !== "number" || !READABLE_EXPORT_VERSIONS.includes(h.version)) {
          throw bad(display, n, `export format version ${String(h.version)} is not supported (this release reads ${READABLE_EXPORT_VERSIONS.join(" and ")})`);
        }
        version = h.version;
        continue;
      }
      if (text.trim() === "") continue;
      let line: { type?: unknown; record?: unknown; event?: unknown; sessionId?: unknown; path?: unknown; offset?: unknown; size?: unknown; data?: unknown };
      try {
        line = JSON.parse(text) as typeof line;
      } catch (error) {
        throw bad(display, n, `not JSON (${(error as Error).message})`);
      }
      if (typeof line !== "object" || line === null) throw bad(display, n, "not a JSON object");
      if (line.type === "session") {
        const record = check(display, n, () => parseSessionRecord(line.record));
        if (sessionIds.has(record.id)) throw bad(display, n, `session "${record.id}" appears twice`);
        sessionIds.add(record.id);
        finishFile();
        if (current) yield current;
        current = { record, events: [], agentState: [], line: n };
      } else if (line.type === "event") {
        const raw = line.event as { sessionId?: unknown } | undefined;
        if (!current) throw bad(display, n, "an event before any session record");
        if (file || current.agentState.length > 0) throw bad(display, n, "an event after its session's agent state lines (events come first)");
        if (raw?.sessionId !== current.record.id) {
          throw bad(display, n, `an event of session ${JSON.stringify(raw?.sessionId)} under session "${current.record.id}"`);
        }
        const event = check(display, n, () => parseSessionEvent(current!.record.id, line.event));
        const previous = current.events[current.events.length - 1];
        if (previous && event.eventIndex <= previous.eventIndex) {
          throw bad(display, n, `eventIndex ${event.eventIndex} after ${previous.eventIndex} (events must ascend)`);
        }
        if (eventIds.has(event.id)) throw bad(display, n, `event id "${event.id}" appears twice`);
        eventIds.add(event.id);
        current.events.push(event);
      } else if (line.type === "agent-state") {
        if (version < 2) throw bad(display, n, "an agent state line in a version 1 export (they came with version 2)");
        if (!current) throw bad(display, n, "an agent state line before any session record");
        if (line.sessionId !== current.record.id) {
          throw bad(display, n, `an agent state line of session ${JSON.stringify(line.sessionId)} under session "${current.record.id}"`);
        }
        const path = check(display, n, () => parseAgentStatePath(line.path));
        const { offset, size } = line;
        if (!isCount(offset) || !isCount(size)) throw bad(display, n, "offset and size must be non-negative integers");
        const data = decodeBase64(line.data);
        if (data === undefined) throw bad(display, n, "data must be a string of standard base64 with padding");
        if (file?.path !== path) {
          finishFile();
          if (current.agentState.some((f) => f.path === path)) throw bad(display, n, `agent state file "${path}" appears twice`);
          if (offset !== 0) throw bad(display, n, `agent state file "${path}" starts at offset ${offset} (its first line must be at 0)`);
          file = { path, size, pieces: [], read: 0, line: n };
        } else if (offset !== file.read || size !== file.size) {
          throw bad(display, n, `agent state file "${path}": a line at offset ${offset} of ${size} byte(s) after ${file.read} of ${file.size} (lines out of order or missing)`);
        }
        if (offset + data.length > size) throw bad(display, n, `agent state file "${path}": ${offset + data.length} byte(s) for a file of ${size}`);
        file.pieces.push(data);
        file.read += data.length;
      } else {
        throw bad(display, n, `unknown line type ${JSON.stringify(line.type)} (expected "session", "event" or "agent-state")`);
      }
    }
    finishFile();
  } finally {
    lines.close();
  }
  if (n === 0) throw bad(display, 1, "the file is empty");
  if (current) yield current;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** The bytes of canonical base64 text (standard alphabet, padded), or `undefined` when `text` is not that. */
function decodeBase64(text: unknown): Buffer | undefined {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

function check<T>(file: string, line: number, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof PersistError) throw bad(file, line, error.message);
    throw error;
  }
}
