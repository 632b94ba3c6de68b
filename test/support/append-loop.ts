import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent, SessionPersistCapabilities, SessionPersistDriver } from "../../src/persist/types.js";

// The work of one writer process in the multi-process tests (PostgreSQL, Redis, files):
// append to a shared session the way the client's recorder does (next index from the tail,
// retry on an eventIndex conflict) and to a session of its own, mixing single inserts and
// batches. Also the stdin barrier that releases every worker at once.

/** A driver with the capabilities the loop uses. */
type Driver = SessionPersistDriver & Pick<SessionPersistCapabilities, "insertEvents" | "listLatestEvents">;

/** What one worker appends. */
export interface AppendPlan {
  /** The worker's number (in its event ids and connectionId). */
  worker: number;
  /** Events to append to each session. */
  count: number;
  /** The session every worker appends to. */
  sharedSession: string;
  /** The worker's own session. */
  ownSession: string;
}

/** What a worker did: the ids it wrote to the shared session, in order, and how often it lost a race. */
export interface AppendOutcome {
  written: string[];
  conflicts: number;
}

function event(worker: number, sessionId: string, id: string, eventIndex: number): SessionEvent {
  return {
    id,
    eventIndex,
    sessionId,
    createdAt: Date.now(),
    connectionId: `worker-${worker}`,
    sender: "client",
    payload: { jsonrpc: "2.0", method: "session/update", params: { worker, id } },
  };
}

/** Append `ids` to `sessionId` as one unit (an insert, or a batch), retrying when another writer took the index first. */
async function append(driver: Driver, worker: number, sessionId: string, ids: string[]): Promise<number> {
  for (let conflicts = 0; ; conflicts++) {
    const [last] = await driver.listLatestEvents(sessionId, 1);
    const start = last === undefined ? 0 : last.eventIndex + 1;
    const events = ids.map((id, i) => event(worker, sessionId, id, start + i));
    try {
      if (events.length === 1) await driver.insertEvent(sessionId, events[0] as SessionEvent);
      else await driver.insertEvents(sessionId, events);
      return conflicts;
    } catch (error) {
      if (!(error instanceof EventConflictError) || error.reason !== "eventIndex") throw error;
    }
  }
}

/** Run the plan: every fourth unit is a batch of (up to) three events, the rest single inserts. */
export async function appendPlan(driver: Driver, plan: AppendPlan): Promise<AppendOutcome> {
  const { worker, sharedSession, ownSession, count } = plan;
  const written: string[] = [];
  let conflicts = 0;
  let i = 0;
  while (i < count) {
    const size = i % 4 === 3 ? Math.min(3, count - i) : 1;
    const ids = Array.from({ length: size }, (_, k) => `w${worker}-shared-${i + k}`);
    conflicts += await append(driver, worker, sharedSession, ids);
    written.push(...ids);
    conflicts += await append(driver, worker, ownSession, ids.map((id) => id.replace("shared", "own")));
    i += size;
  }
  return { written, conflicts };
}

/** Print "ready" and resolve on the parent's "go". */
export async function barrier(): Promise<void> {
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => {
    let input = "";
    const onData = (chunk: Buffer) => {
      input += chunk.toString();
      if (!input.includes("go")) return;
      process.stdin.off("data", onData);
      process.stdin.pause();
      resolve();
    };
    process.stdin.on("data", onData);
  });
}
