import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { PersistError } from "../src/persist/errors.js";
import { parseSessionEvent, parseSessionRecord } from "../src/persist/schemas.js";
import type { SessionEvent, SessionRecord } from "../src/persist/types.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { EXPORT_HEADER } from "./export-format.js";

// Reading an export back, one session at a time (its record and all its events), with every
// line checked: the header, JSON, the record and event schemas the drivers enforce, events
// after their own session's record, indexes ascending, no id twice. A bad line stops the
// read with the line's number and what is wrong.

/** One session of an export. */
export interface ExportedSession {
  /** The record. */
  record: SessionRecord;
  /** Its events, ascending `eventIndex`. */
  events: SessionEvent[];
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
        if (h.version !== EXPORT_HEADER.version) throw bad(display, n, `export format version ${String(h.version)} is not supported (this release reads ${EXPORT_HEADER.version})`);
        continue;
      }
      if (text.trim() === "") continue;
      let line: { type?: unknown; record?: unknown; event?: unknown };
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
        if (current) yield current;
        current = { record, events: [], line: n };
      } else if (line.type === "event") {
        const raw = line.event as { sessionId?: unknown } | undefined;
        if (!current) throw bad(display, n, "an event before any session record");
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
      } else {
        throw bad(display, n, `unknown line type ${JSON.stringify(line.type)} (expected "session" or "event")`);
      }
    }
  } finally {
    lines.close();
  }
  if (n === 0) throw bad(display, 1, "the file is empty");
  if (current) yield current;
}

function check<T>(file: string, line: number, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof PersistError) throw bad(file, line, error.message);
    throw error;
  }
}
