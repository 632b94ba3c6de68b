import type { SessionKey } from "../../src/persist/backend.js";
import { compareSessionKeys } from "../../src/persist/cursor.js";
import type { EventStore } from "./event-store.js";
import type { RetentionLimits } from "./options.js";
import type { StateRecords } from "./records.js";

/** Which cap caused a drop. */
export type RetentionReason = "maxEventsPerSession" | "maxSessions" | "maxBytes";

/** One drop caused by the caps: what went, and why. */
export interface RetentionReport {
  /** The cap that was exceeded. */
  reason: RetentionReason;
  /** The session that lost events, or was dropped whole. */
  sessionId: string;
  /** Events dropped. */
  droppedEvents: number;
  /** Whether the whole session (record and events) was dropped. */
  droppedSession: boolean;
  /** When (epoch ms). */
  at: number;
}

/**
 * The caps of one driver and the rule that keeps them: after a write to session `current`,
 *
 * 1. over `maxEventsPerSession`, `current` loses its lowest `eventIndex` events;
 * 2. over `maxSessions` (sessions with a record or events), the oldest other session goes
 *    whole: sessions without a record first, then by `(createdAt, id)`, the listing order;
 * 3. over `maxBytes`, the oldest other sessions with events go whole in the same order, and
 *    when `current` is the only one left it loses its oldest events.
 *
 * The session being written is never dropped whole. Every drop is reported.
 */
export class Retention {
  constructor(
    readonly limits: RetentionLimits,
    private readonly records: StateRecords,
    private readonly events: EventStore,
    private readonly deleteRecord: (id: string) => Promise<void>,
    private readonly report: (report: RetentionReport) => void,
  ) {}

  /** Apply the caps after a write to `current`; whether anything was dropped. */
  async enforce(current: string): Promise<boolean> {
    const { ledger } = this.events;
    let dropped = false;
    const over = ledger.of(current).events - this.limits.maxEventsPerSession;
    if (over > 0) {
      const n = await this.events.dropOldest(current, over);
      this.report({ reason: "maxEventsPerSession", sessionId: current, droppedEvents: n, droppedSession: false, at: Date.now() });
      dropped = true;
    }
    while (this.#sessionIds().size > this.limits.maxSessions) {
      const victim = this.#oldest(current, false);
      if (victim === undefined) break;
      await this.#dropSession(victim, "maxSessions");
      dropped = true;
    }
    while (ledger.bytes > this.limits.maxBytes) {
      const victim = this.#oldest(current, true);
      if (victim !== undefined) {
        await this.#dropSession(victim, "maxBytes");
      } else {
        const n = await this.events.dropOldestBytes(current, ledger.bytes - this.limits.maxBytes);
        if (n === 0) break;
        this.report({ reason: "maxBytes", sessionId: current, droppedEvents: n, droppedSession: false, at: Date.now() });
      }
      dropped = true;
    }
    return dropped;
  }

  async #dropSession(id: string, reason: RetentionReason): Promise<void> {
    const droppedEvents = this.events.ledger.of(id).events;
    // Events first: a crash in between leaves a record without events, never events without their record's cap.
    await this.events.deleteSession(id);
    await this.deleteRecord(id);
    this.report({ reason, sessionId: id, droppedEvents, droppedSession: true, at: Date.now() });
  }

  /** Every session id with a record or events. */
  #sessionIds(): Set<string> {
    const ids = new Set(this.events.ledger.sessionIds());
    for (const key of this.records.keys()) ids.add(key.id);
    return ids;
  }

  /** The oldest session other than `current` (only among those with events when `withEvents`). */
  #oldest(current: string, withEvents: boolean): string | undefined {
    // Sessions with events but no record come first, by id.
    let orphan: string | undefined;
    for (const id of this.events.ledger.sessionIds()) {
      if (id === current || this.records.has(id)) continue;
      if (orphan === undefined || compareSessionKeys({ createdAt: 0, id }, { createdAt: 0, id: orphan }) < 0) orphan = id;
    }
    if (orphan !== undefined) return orphan;
    const keys: readonly SessionKey[] = this.records.keys();
    for (const key of keys) {
      if (key.id === current) continue;
      if (withEvents && this.events.ledger.of(key.id).events === 0) continue;
      return key.id;
    }
    return undefined;
  }
}
