// The Web Locks API (`navigator.locks`), where the platform has it (browsers; not Node 20).
// A lease holder in a tab also holds an exclusive lock named after the session, so a tab
// waiting for the lease wakes the moment the holder releases it or the holder's tab closes,
// instead of at its next poll. The lock only wakes waiters: the lease row stays the fence.

interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<unknown> | unknown): Promise<unknown>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

function lockManager(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return typeof nav?.locks?.request === "function" ? nav.locks : undefined;
}

/** The lock name of a session's lease. */
function lockName(sessionId: string): string {
  return `durable-agent:lease:${sessionId}`;
}

/**
 * Hold the session's lock until the returned function is called; a no-op where there are no
 * Web Locks. Never rejects.
 */
export function holdSessionLock(sessionId: string): () => void {
  const locks = lockManager();
  if (!locks) return () => undefined;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  void locks.request(lockName(sessionId), {}, () => held).catch(() => undefined);
  return release;
}

/**
 * Resolves when a holder of the session's lock (a tab of this browser) lets it go, or when
 * `signal` aborts. Where there are no Web Locks, or nobody holds the lock (the holder is
 * elsewhere), it resolves only on abort: callers race it with their poll. Never rejects.
 */
export async function sessionLockFreed(sessionId: string, signal: AbortSignal): Promise<void> {
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
  const locks = lockManager();
  if (!locks) return aborted;
  const name = lockName(sessionId);
  const state = await locks.query().catch(() => ({ held: [] }));
  if (!(state.held ?? []).some((lock) => lock.name === name)) return aborted;
  await locks.request(name, { signal }, () => undefined).catch(() => undefined);
}

/** Whether this platform has Web Locks. */
export function hasWebLocks(): boolean {
  return lockManager() !== undefined;
}
