import { buildReplay, INITIAL_REPLAY_TAIL, loadReplay, type ReplayCaps } from "../history/replay.js";
import { listLatestEventsVia } from "../persist/capabilities.js";
import { deleteEventsBeforeVia } from "../persist/trim.js";
import { MAX_PAGE_LIMIT, type SessionEvent, type SessionPersistDriver } from "../persist/types.js";
import { requestOf } from "../protocol/envelopes.js";
import { forkOrigin, historyTrimmedMarker, isHistoryTrimmedMarker, type ForkedFromDetails } from "../protocol/lifecycle-markers.js";
import { eventBytes, type SessionTrim, type TrimLimits, type trimSession } from "./trim-session.js";

// How `trimSession` (./trim-session.ts, which loads this module on first use) finds the cut and makes it.

/** What the scan keeps of each event: no payloads, so a 100,000-event session costs little memory. */
interface Scan {
  indexes: number[];
  bytes: number[];
  /** Positions (into `indexes`) of `session/prompt` requests, ascending. */
  turnStarts: number[];
  /** The first event is an earlier trim marker. */
  startsWithMarker: boolean;
  /** The parent the history's first event names (a forked-from marker, or one a trim carried). */
  forkedFrom: ForkedFromDetails | undefined;
  /** Every event, when the session fit in one page (the replay is then built from them, no second read). */
  whole: SessionEvent[] | undefined;
}

async function scanSession(driver: SessionPersistDriver, sessionId: string, needBytes: boolean): Promise<Scan> {
  const scan: Scan = { indexes: [], bytes: [], turnStarts: [], startsWithMarker: false, forkedFrom: undefined, whole: undefined };
  let cursor: string | undefined;
  do {
    const page = await driver.listEvents({ sessionId, cursor, limit: MAX_PAGE_LIMIT });
    if (cursor === undefined && page.nextCursor === undefined) scan.whole = page.items;
    for (const event of page.items) {
      if (scan.indexes.length === 0) {
        scan.startsWithMarker = isHistoryTrimmedMarker(event.payload);
        scan.forkedFrom = forkOrigin(event.payload);
      }
      if (event.sender === "client" && requestOf(event.payload)?.method === "session/prompt") scan.turnStarts.push(scan.indexes.length);
      scan.indexes.push(event.eventIndex);
      scan.bytes.push(needBytes ? eventBytes(event) : 0);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return scan;
}

/**
 * The `eventIndex` of the oldest turn start a replay within `caps` shows, or `undefined` when
 * there is no replay (then it constrains nothing).
 */
async function replayStart(driver: SessionPersistDriver, sessionId: string, caps: ReplayCaps, scan: Scan): Promise<number | undefined> {
  // A session of one page: what loadReplay would read (its first tail is a page or more) is in hand.
  const replay = scan.whole && scan.whole.length <= INITIAL_REPLAY_TAIL ? buildReplay(scan.whole, caps) : await loadReplay((limit) => listLatestEventsVia(driver, sessionId, limit), caps);
  const oldest = replay?.entries[0]?.eventIndex;
  if (oldest === undefined) return undefined;
  // The turn the oldest replayed entry belongs to starts at the last turn start at or before it.
  let start: number | undefined;
  for (const position of scan.turnStarts) {
    const index = scan.indexes[position]!;
    if (index > oldest) break;
    start = index;
  }
  return start ?? scan.indexes[0];
}

/** `trimSession`'s work. */
export async function cutSession(
  driver: SessionPersistDriver,
  sessionId: string,
  limits: TrimLimits,
  options: Parameters<typeof trimSession>[3],
): Promise<SessionTrim | undefined> {
  const { maxEvents, maxBytes } = limits;
  if (maxEvents === undefined && maxBytes === undefined) return undefined;
  if (options.known === null) return undefined;
  if (maxBytes === undefined) {
    // Cheap check first: the index range bounds the count from above.
    const first = options.known?.first ?? (await driver.listEvents({ sessionId, limit: 1 })).items[0]?.eventIndex;
    if (first === undefined) return undefined;
    const last = options.known?.last ?? (await listLatestEventsVia(driver, sessionId, 1))[0]?.eventIndex;
    if (last === undefined || last - first + 1 <= maxEvents!) return undefined;
  }
  const scan = await scanSession(driver, sessionId, maxBytes !== undefined);
  const n = scan.indexes.length;
  if (scan.turnStarts.length === 0) return undefined;

  // The oldest turn start whose suffix fits, walking back from the newest turn (always kept).
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + scan.bytes[i]!;
  const suffixBytes = (from: number): number => suffix[from]!;
  const fits = (from: number): boolean =>
    (maxEvents === undefined || n - from + 1 <= maxEvents) && (maxBytes === undefined || suffixBytes(from) <= maxBytes);
  let t = scan.turnStarts.length - 1;
  const newest = scan.turnStarts[t]!;
  let cut = newest;
  let overTarget = !fits(newest);
  if (!overTarget) {
    while (t > 0 && fits(scan.turnStarts[t - 1]!)) t--;
    cut = scan.turnStarts[t]!;
  }
  // Never past the replay's oldest turn.
  const needed = await replayStart(driver, sessionId, options.replay, scan);
  if (needed !== undefined && scan.indexes[cut]! > needed) {
    cut = scan.indexes.indexOf(needed);
    overTarget = true;
  }
  // Nothing before the cut, or only an earlier marker: nothing to trim.
  if (cut === 0 || (cut === 1 && scan.startsWithMarker)) return undefined;

  const firstKeptIndex = scan.indexes[cut]!;
  const result: SessionTrim = {
    sessionId,
    removedEvents: cut,
    firstKeptIndex,
    keptEvents: n - cut + 1,
    keptBytes: suffixBytes(cut),
    overTarget,
  };
  if (options.dryRun) return result;
  const reason = [maxEvents !== undefined && `maxEventsPerSession ${maxEvents}`, maxBytes !== undefined && `maxBytesPerSession ${maxBytes}`]
    .filter(Boolean)
    .join(", ");
  const marker: SessionEvent = {
    id: crypto.randomUUID(),
    eventIndex: firstKeptIndex - 1,
    sessionId,
    createdAt: options.now,
    connectionId: "",
    sender: "client",
    payload: historyTrimmedMarker({
      firstKeptIndex,
      removedEvents: cut,
      trimmedAt: options.now,
      reason: `retention: ${reason}`,
      // A trimmed fork keeps naming its parent.
      ...(scan.forkedFrom ? { forkedFrom: scan.forkedFrom } : {}),
    }),
  };
  result.removedEvents = await deleteEventsBeforeVia(driver, sessionId, firstKeptIndex, marker);
  return result;
}
