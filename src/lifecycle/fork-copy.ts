import { insertEventsVia, insertSessionVia, listLatestEventsVia } from "../persist/capabilities.js";
import { deleteSessionVia } from "../persist/capabilities.js";
import { MAX_PAGE_LIMIT, type SessionEvent, type SessionPersistDriver, type SessionRecord } from "../persist/types.js";
import { forkedFromMarker } from "../protocol/lifecycle-markers.js";
import { ForkIndexOutOfRangeError, ForkSourceNotFoundError, ForkTargetExistsError, LifecycleInputError } from "./errors.js";
import type { ForkResult, ForkSessionOptions } from "./fork.js";

// `forkSession`'s work (./fork.ts loads this module on first use): the checks, the new record, the copy.

/** `forkSession`'s work. */
export async function copyIntoFork(driver: SessionPersistDriver, parentId: string, options: ForkSessionOptions): Promise<ForkResult> {
  const problems: string[] = [];
  const { atEventIndex, newId } = options;
  if (typeof parentId !== "string" || parentId === "") problems.push("sessionId: must be a non-empty string");
  if (atEventIndex !== undefined && (typeof atEventIndex !== "number" || !Number.isSafeInteger(atEventIndex) || atEventIndex < 0)) {
    problems.push(`atEventIndex: must be a non-negative integer, got ${String(atEventIndex)}`);
  }
  if (newId !== undefined && (typeof newId !== "string" || newId === "")) problems.push("newId: must be a non-empty string");
  if (newId !== undefined && newId === parentId) problems.push("newId: must differ from the parent's id");
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) problems.push(`batchSize: must be a positive integer, got ${String(batchSize)}`);
  if (problems.length > 0) throw new LifecycleInputError("fork request", problems);

  const parent = await driver.getSession(parentId);
  if (!parent) throw new ForkSourceNotFoundError(parentId);
  const first = (await driver.listEvents({ sessionId: parentId, limit: 1 })).items[0];
  const [last] = await listLatestEventsVia(driver, parentId, 1);
  const stored = first && last ? { first: first.eventIndex, last: last.eventIndex } : undefined;
  if (atEventIndex !== undefined && (!stored || atEventIndex < stored.first || atEventIndex > stored.last)) {
    throw new ForkIndexOutOfRangeError(parentId, atEventIndex, stored);
  }
  const upTo = atEventIndex ?? stored?.last ?? -1;
  const id = newId ?? crypto.randomUUID();
  if (await driver.getSession(id)) throw new ForkTargetExistsError(id);

  const now = options.now ?? Date.now();
  const record: SessionRecord = {
    id,
    agent: parent.agent,
    agentSessionId: "",
    lastConnectionId: "",
    createdAt: now,
    ...(parent.sandboxId !== undefined ? { sandboxId: parent.sandboxId } : {}),
    ...(parent.sessionInit !== undefined ? { sessionInit: parent.sessionInit } : {}),
    ...(parent.configOptions !== undefined ? { configOptions: parent.configOptions } : {}),
    ...(parent.modes !== undefined ? { modes: parent.modes } : {}),
  };
  if (!(await insertSessionVia(driver, record))) throw new ForkTargetExistsError(id);

  let copied = 0;
  try {
    let batch: SessionEvent[] = [];
    // The marker's count is known only at the end: it is written last, into slot 0.
    let nextIndex = 1;
    let cursor: string | undefined;
    let done = upTo < 0;
    while (!done) {
      const page = await driver.listEvents({ sessionId: parentId, cursor, limit: MAX_PAGE_LIMIT });
      for (const event of page.items) {
        if (event.eventIndex > upTo) {
          done = true;
          break;
        }
        batch.push({ ...event, id: crypto.randomUUID(), sessionId: id, eventIndex: nextIndex++ });
        if (batch.length >= batchSize) {
          await insertEventsVia(driver, id, batch);
          copied += batch.length;
          batch = [];
        }
      }
      cursor = page.nextCursor;
      if (!cursor) done = true;
    }
    if (batch.length > 0) {
      await insertEventsVia(driver, id, batch);
      copied += batch.length;
    }
    const marker: SessionEvent = {
      id: crypto.randomUUID(),
      eventIndex: 0,
      sessionId: id,
      createdAt: now,
      connectionId: "",
      sender: "client",
      payload: forkedFromMarker({ parentSessionId: parentId, parentEventIndex: upTo, copiedEvents: copied, forkedAt: now }),
    };
    await insertEventsVia(driver, id, [marker]);
  } catch (error) {
    await deleteSessionVia(driver, id).catch(() => undefined);
    throw error;
  }
  return { record, parentSessionId: parentId, parentEventIndex: upTo, copiedEvents: copied };
}
