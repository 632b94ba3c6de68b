import { envelopeKind } from "../../src/protocol/envelopes.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { withStore, type CommandContext } from "../context.js";
import { notFoundError } from "../errors.js";
import { canonicalJson } from "../export-format.js";
import { quote } from "./ls.js";
import { eventPages } from "../walk.js";

/** Options of `events`. */
export interface EventsOptions {
  /** Show events after this `eventIndex` (-1: from the start). */
  after: number;
  /** At most this many events. */
  limit: number;
}

/** `events <store> <id>`: raw events in order, one page (`--after`, `--limit`), with where the next page starts. */
export async function eventsCommand(url: string, id: string, options: EventsOptions, { out }: CommandContext): Promise<void> {
  await withStore(url, "read", async (store) => {
    const record = await store.driver.getSession(id);
    const items: SessionEvent[] = [];
    let more = false;
    // One event past the limit tells whether another page follows.
    outer: for await (const page of eventPages(store.driver, id, options.after, Math.min(options.limit + 1, 1000))) {
      for (const event of page) {
        if (items.length === options.limit) {
          more = true;
          break outer;
        }
        items.push(event);
      }
    }
    if (!record && items.length === 0 && options.after < 0) throw notFoundError(store.display, id);
    const last = items[items.length - 1];
    const next = more && last ? last.eventIndex : undefined;
    out.result({ sessionId: id, items, ...(next !== undefined ? { nextAfter: next } : {}) });
    for (const event of items) out.line(eventSummary(event));
    if (items.length === 0) out.line("(no events)");
    if (next !== undefined) out.line(`\nmore: durable-agent events ${quote(store.display)} ${quote(id)} --after ${next} --limit ${options.limit}`);
  });
}

/** One event as a line: index, time, sender, what the envelope is, and the envelope itself. */
export function eventSummary(event: SessionEvent): string {
  const p = event.payload as unknown as Record<string, unknown>;
  const kind = envelopeKind(event.payload);
  let what: string;
  if (kind === "request" || kind === "notification") {
    const update = (p.params as { update?: { sessionUpdate?: unknown } } | undefined)?.update?.sessionUpdate;
    what = `${String(p.method)}${typeof update === "string" ? `:${update}` : ""}`;
  } else if (kind === "response") what = `response(${JSON.stringify(p.id)})${"error" in p ? " error" : ""}`;
  else what = "(not a JSON-RPC envelope)";
  const time = new Date(event.createdAt).toISOString();
  return `#${event.eventIndex}  ${time}  ${event.sender.padEnd(6)}  ${what}  ${canonicalJson(event.payload)}`;
}
