import type { AgentStateStorage } from "../persist/agent-state.js";
import { writeAgentStateChunked } from "../persist/agent-state-write.js";
import { hasAgentState, insertEventsVia } from "../persist/capabilities.js";
import { MAX_PAGE_LIMIT, type SessionPersistDriver } from "../persist/types.js";

/** What {@link reencryptSessions} copied. */
export interface ReencryptReport {
  /** Session records copied. */
  sessions: number;
  /** Events copied (or found already there). */
  events: number;
  /** Agent state files copied (when both drivers store them; see docs/agent-state.md). */
  agentStateFiles: number;
}

/** Options of {@link reencryptSessions}. */
export interface ReencryptOptions {
  /** Called after each session with the totals so far. */
  onProgress?: (done: ReencryptReport) => void;
}

/**
 * Copy every session record and event from `source` to `target`: to retire a key, read through
 * `encryptedPersistDriver(oldStore, { keys: [newKey, oldKey] })` and write through
 * `encryptedPersistDriver(newStore, { keys: [newKey] })`. Each session's events are written in
 * pages (atomically per page where the target has `insertEvents`), then counted in the target:
 * a shortfall throws. When both drivers store agent state files, each session's files are
 * copied whole too (replacing the target's copy). Running it again is safe and resumes: events already copied are identical
 * and storing them again is a no-op. Run it while no client writes `source`, or run it again
 * afterwards to catch up.
 */
export async function reencryptSessions(source: SessionPersistDriver, target: SessionPersistDriver, options: ReencryptOptions = {}): Promise<ReencryptReport> {
  const done: ReencryptReport = { sessions: 0, events: 0, agentStateFiles: 0 };
  const files = hasAgentState(source) && hasAgentState(target) ? { source, target } : undefined;
  let sessionCursor: string | undefined;
  do {
    const page = await source.listSessions({ cursor: sessionCursor, limit: 100 });
    for (const record of page.items) {
      let copied = 0;
      let cursor: string | undefined;
      do {
        const events = await source.listEvents({ sessionId: record.id, cursor, limit: MAX_PAGE_LIMIT });
        await insertEventsVia(target, record.id, events.items);
        copied += events.items.length;
        cursor = events.nextCursor;
      } while (cursor);
      if (files !== undefined) done.agentStateFiles += await copyAgentState(files.source, files.target, record.id);
      // The record after its events: a record in the target means its history is complete.
      await target.updateSession(record);
      let stored = 0;
      cursor = undefined;
      do {
        const events = await target.listEvents({ sessionId: record.id, cursor, limit: MAX_PAGE_LIMIT });
        stored += events.items.length;
        cursor = events.nextCursor;
      } while (cursor);
      if (stored < copied) throw new Error(`reencryptSessions: session "${record.id}" has ${stored} event(s) in the target after copying ${copied}`);
      done.sessions++;
      done.events += copied;
      options.onProgress?.({ ...done });
    }
    sessionCursor = page.nextCursor;
  } while (sessionCursor);
  return done;
}

/** Copy every agent state file of `sessionId` whole; returns how many. */
async function copyAgentState(source: AgentStateStorage, target: AgentStateStorage, sessionId: string): Promise<number> {
  let copied = 0;
  for (const { path } of await source.listAgentState(sessionId)) {
    const data = await source.readAgentState(sessionId, path);
    // Deleted since it was listed.
    if (data === undefined) continue;
    copied++;
    await writeAgentStateChunked(target, sessionId, path, 0, data);
  }
  return copied;
}
