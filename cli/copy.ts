import { EventConflictError } from "../src/persist/errors.js";
import type { SessionEvent, SessionRecord } from "../src/persist/types.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { recordText } from "./export-format.js";
import type { StoreDriver } from "./open-store.js";

// Writing sessions into a target store without ever overwriting what it holds: a record is
// inserted when its id is free and left alone when the stored one is identical; a different
// stored record is a conflict. Events rely on the drivers' rule: re-inserting an identical
// event is a no-op, a different event under a known id or a taken index is refused.

/** What happened to a record. */
export type RecordOutcome = "inserted" | "unchanged" | "replaced";

/** A session whose data conflicts with the target's: nothing more of it is written. */
export class SessionConflict extends CliError {
  constructor(
    /** The session. */
    readonly sessionId: string,
    /** What differs. */
    readonly detail: string,
  ) {
    super("cli.conflict", EXIT.dataRefused, `session "${sessionId}": ${detail}`);
  }
}

/**
 * Insert `record` unless the target has it: `unchanged` when the stored record is the same
 * (canonical JSON), `inserted` when it was free. A different stored record is replaced only
 * when `replace` says so (`replaced`).
 * @throws SessionConflict when the target holds a different record under that id and `replace` is off.
 */
export async function putRecord(target: StoreDriver, record: SessionRecord, replace = false): Promise<RecordOutcome> {
  const stored = await target.getSession(record.id);
  if (stored === undefined && (await target.insertSession(record))) return "inserted";
  const now = stored ?? (await target.getSession(record.id));
  if (now !== undefined && recordText(now) === recordText(record)) return "unchanged";
  if (replace) {
    await target.updateSession(record);
    return "replaced";
  }
  throw new SessionConflict(record.id, "the target holds a different record under this id (left as it is)");
}

/** Whether the target's record differs from `record` (a conflict `putRecord` would raise); `undefined`: the id is free. */
export async function compareRecord(target: StoreDriver, record: SessionRecord): Promise<"same" | "different" | undefined> {
  const stored = await target.getSession(record.id);
  if (stored === undefined) return undefined;
  return recordText(stored) === recordText(record) ? "same" : "different";
}

/**
 * Store a batch of one session's events atomically.
 * @throws SessionConflict when the target refuses one (another event under its id or at its index).
 */
export async function putEvents(target: StoreDriver, sessionId: string, events: readonly SessionEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await target.insertEvents(sessionId, events);
  } catch (error) {
    if (error instanceof EventConflictError) {
      throw new SessionConflict(sessionId, `event ${error.eventId} (#${error.eventIndex}): ${error.message}`);
    }
    throw error;
  }
}
