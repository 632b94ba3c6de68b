import type { ReplayCaps } from "../history/replay.js";
import type { SessionEvent, SessionPersistDriver } from "../persist/types.js";

// Trimming one session: where to cut, then one atomic `deleteEventsBefore` with the marker.
// A cut is only ever made just before a turn's `session/prompt` request, so no turn is split;
// the newest turn is always kept; and the cut never passes the oldest turn a replay within
// the caps would show, so a session restored after the trim replays what it would have.

/** The size limits of one trim (either may be absent). */
export interface TrimLimits {
  /** Target count of events kept, the marker included. */
  maxEvents?: number;
  /** Target bytes of events kept (UTF-8 of each event's JSON). */
  maxBytes?: number;
}

/** What a trim did (or would do, in a dry run). */
export interface SessionTrim {
  /** The session trimmed. */
  sessionId: string;
  /** Events deleted (the previous trim marker, if any, included). */
  removedEvents: number;
  /** `eventIndex` of the first event kept after the new marker. */
  firstKeptIndex: number;
  /** Events kept, the new marker included. */
  keptEvents: number;
  /** Bytes of the events kept (without the marker). */
  keptBytes: number;
  /** The limits could not be met without cutting the newest turn or the replay's turns. */
  overTarget: boolean;
}

/** Length of `text` in UTF-8 bytes, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Bytes an event counts for in `maxBytesPerSession`. */
export function eventBytes(event: SessionEvent): number {
  return utf8Length(JSON.stringify(event));
}

/**
 * Trim one session to `limits` (see the module comment for what is always kept). Resolves what
 * was trimmed, or `undefined` when nothing needed to go. With `dryRun`, computes the same
 * without deleting anything.
 * @throws UnsupportedCapabilityError when the driver cannot delete events.
 */
export async function trimSession(
  driver: SessionPersistDriver,
  sessionId: string,
  limits: TrimLimits,
  options: {
    replay: ReplayCaps;
    now: number;
    dryRun?: boolean;
    /**
     * The bounds of the session's events when the caller just read them (`null`: it has none),
     * saving reads; `first` may be unknown.
     */
    known?: { first?: number; last: number } | null;
  },
): Promise<SessionTrim | undefined> {
  // The cut itself is loaded on first use (with the retention run that mostly calls this).
  const { cutSession } = await import("./trim-cut.js");
  return cutSession(driver, sessionId, limits, options);
}
