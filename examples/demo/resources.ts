// What every demo story shares: the resources it started (stopped at the end, also on Ctrl-C),
// clients on the store, the checks, and the closing read-back of the store.
import { performance } from "node:perf_hooks";
import { SandboxAgent, type Session, type SessionPersistDriver } from "../../src/index.js";
import { ms, type Narrator } from "./narrate.js";
import { countSessions, storedEvents } from "./prompting.js";
import type { DemoRuntime } from "./runtimes.js";
import type { DemoStore } from "./stores.js";

/** A promise the demo relies on did not hold. */
export class CheckFailedError extends Error {
  override readonly name = "CheckFailedError";
}

/** Throws {@link CheckFailedError} with `message` unless `condition` holds. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new CheckFailedError(message);
}

/** Everything the demo started, stopped in reverse order by {@link Resources.release}. */
export class Resources {
  runtime: DemoRuntime | undefined;
  store: DemoStore | undefined;
  readonly clients = new Set<SandboxAgent>();
  private releasing: Promise<void> | undefined;

  /** Disposes clients, stops the runtime, closes the store (removing a temp file). Idempotent. */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      await Promise.allSettled([...this.clients].map((client) => client.dispose()));
      await Promise.allSettled([this.runtime?.stop(), this.store?.close()]);
    })();
    return this.releasing;
  }
}

/** A client on `runtime` with `persist`, tracked in `resources`. */
export async function connect(runtime: DemoRuntime, persist: SessionPersistDriver, resources: Resources): Promise<SandboxAgent> {
  const client = await SandboxAgent.connect({
    baseUrl: runtime.baseUrl,
    token: runtime.token,
    persist,
    healthTimeoutMs: 10_000,
    ...(runtime.transport ? { transport: runtime.transport() } : {}),
  });
  resources.clients.add(client);
  return client;
}

/** Disposes a client and closes its driver. */
export async function closeClient(client: SandboxAgent, driver: SessionPersistDriver, resources: Resources): Promise<void> {
  await client.dispose();
  resources.clients.delete(client);
  await resources.store?.release(driver);
}

/** A client and the driver it stores through. */
export interface ClientOnStore {
  client: SandboxAgent;
  driver: SessionPersistDriver;
}

/** Disposes `previous` (closing its driver), then a new client on a new driver resumes the session; narrates the timings. */
export async function reopen(
  narrator: Narrator,
  runtime: DemoRuntime,
  resources: Resources,
  previous: ClientOnStore,
  sessionId: string,
  replace: (next: ClientOnStore) => void,
): Promise<{ resumed: Session; method: string | undefined }> {
  const store = resources.store!;
  let t = performance.now();
  await closeClient(previous.client, previous.driver, resources);
  const disposeMs = performance.now() - t;
  t = performance.now();
  const driver = await store.open();
  const client = await connect(runtime, driver, resources);
  replace({ client, driver });
  const connectMs = performance.now() - t;
  t = performance.now();
  const resumed = await client.resumeSession(sessionId);
  const resumeMs = performance.now() - t;
  narrator.detail(
    `previous client disposed${store.durable ? " and its driver closed" : ""} (${ms(disposeMs)}); ` +
      `${store.durable ? "a new driver on the same store" : "the same in-memory driver"} + a new client connected (${ms(connectMs)}); ` +
      `resumeSession took ${ms(resumeMs)} (including the agent process's start)`,
  );
  return { resumed, method: resumed.lastRestoration?.method };
}

/** Prints the replay the session sent with its last prompt, if it sent one. */
export function showReplay(narrator: Narrator, session: Session): void {
  const replay = session.lastRestoration?.replay;
  if (!replay) return;
  narrator.detail(
    `replayed transcript sent ahead of the prompt (${replay.entries.length} entries, ${replay.text.length} chars` +
      `${replay.omittedEntries > 0 ? `, ${replay.omittedEntries} older omitted` : ""}):`,
  );
  narrator.quote(replay.text);
}

/** The last step of every story: what the store holds for the session, gap-free across every restart and client. */
export async function readBackStore(narrator: Narrator, driver: SessionPersistDriver, sessionId: string): Promise<void> {
  await narrator.step("Read back what the store holds", async () => {
    const events = await storedEvents(driver, sessionId);
    const byConnection = new Map<string, number>();
    for (const event of events) byConnection.set(event.connectionId, (byConnection.get(event.connectionId) ?? 0) + 1);
    const gapFree = events.every((event, i) => event.eventIndex === i);
    narrator.detail(`session ${sessionId}: ${events.length} events stored, across ${byConnection.size} runtime connections`);
    for (const [connectionId, count] of byConnection) narrator.detail(`  connection ${connectionId}: ${count} events`);
    narrator.detail(
      gapFree
        ? `eventIndex 0..${events.length - 1}: gap-free and in order, across every restart and client`
        : `eventIndex NOT gap-free: ${events.map((e) => e.eventIndex).join(",")}`,
    );
    check(gapFree && events.length > 0, "stored eventIndex values should be 0..n-1");
    const sessions = await countSessions(driver);
    if (sessions > 1) narrator.detail(`the store holds ${sessions} sessions in all (earlier runs included)`);
  });

}
