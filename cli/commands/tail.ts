import type { SessionEvent } from "../../src/persist/types.js";
import { withStore, type CommandContext } from "../context.js";
import { CliError, notFoundError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { eventText } from "../export-format.js";
import type { OpenStore } from "../open-store.js";
import { eventPages } from "../walk.js";
import { eventSummary } from "./events.js";

/** Options of `tail`. */
export interface TailOptions {
  /** Keep following new events until Ctrl-C. */
  follow: boolean;
  /** How many of the latest events to print first. */
  lines: number;
  /** Poll even where the store can signal (PostgreSQL writers without `notify`). */
  poll: boolean;
  /** Polling interval, ms. */
  intervalMs: number;
}

/**
 * `tail <store> <id> [-f]`: the latest events of a session, then (with `-f`) every new one
 * as it is stored, until Ctrl-C (exit 0). PostgreSQL is followed through LISTEN/NOTIFY
 * (the writers' drivers need `notify: true`, or use `--poll`); other stores are polled.
 * `--json` prints one event per line (JSONL).
 */
export async function tailCommand(url: string, id: string, options: TailOptions, ctx: CommandContext): Promise<void> {
  const { out, signal } = ctx;
  await withStore(url, "read", async (store) => {
    const latest = await store.driver.listLatestEvents(id, Math.max(options.lines, 1));
    if (latest.length === 0 && !(await store.driver.getSession(id))) throw notFoundError(store.display, id);
    let last = latest.length > 0 ? latest[latest.length - 1]!.eventIndex : -1;
    const show = async (events: readonly SessionEvent[]) => {
      for (const event of events) await out.raw(out.json ? eventText(event) : eventSummary(event));
    };
    await show(options.lines === 0 ? [] : latest.slice(-options.lines));
    if (!options.follow || signal.aborted) return;
    const deliver = async (events: SessionEvent[]) => {
      const fresh = events.filter((e) => e.eventIndex > last);
      if (fresh.length === 0) return;
      await show(fresh);
      last = fresh[fresh.length - 1]!.eventIndex;
    };
    if (store.follow && !options.poll) await followLive(store, id, last, deliver, signal);
    else await poll(store, id, () => last, deliver, options.intervalMs, signal);
  });
}

/** Until `signal` aborts: deliver what the store signals (LISTEN/NOTIFY). */
async function followLive(
  store: OpenStore,
  id: string,
  afterIndex: number,
  deliver: (events: SessionEvent[]) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let failure: unknown;
  let wake: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const follower = await store.follow!(id, deliver, {
    afterIndex,
    onError: (error) => {
      failure = error;
      wake();
    },
  });
  signal.addEventListener("abort", () => wake(), { once: true });
  if (signal.aborted) wake();
  await ended;
  await follower.close();
  if (failure !== undefined && !signal.aborted) {
    throw new CliError("cli.store_unavailable", EXIT.storeUnavailable, `lost ${store.display} while following: ${(failure as Error).message ?? String(failure)}`);
  }
}

/** Until `signal` aborts: read what follows the last delivered event every `intervalMs`. */
async function poll(
  store: OpenStore,
  id: string,
  last: () => number,
  deliver: (events: SessionEvent[]) => Promise<void>,
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    for await (const page of eventPages(store.driver, id, last())) {
      await deliver(page);
      if (signal.aborted) return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, intervalMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
