import type { SessionKey, SessionStore, SessionStoreEntry } from "../session-store/types.js";
import { SessionStoreRedactionError } from "./errors.js";

/** Rewrites one Claude Agent SDK transcript entry before it is stored (synchronously, without mutating it). */
export type SessionStoreRedactHook = (entry: SessionStoreEntry, key: SessionKey) => SessionStoreEntry;

// Fields a store and the SDK rely on: whatever the hook does, they are stored as given.
const STRUCTURAL = ["type", "uuid", "parentUuid", "timestamp", "sessionId"] as const;

function redactEntry(entry: SessionStoreEntry, key: SessionKey, redact: SessionStoreRedactHook): SessionStoreEntry {
  const redacted: unknown = redact(entry, key);
  if (typeof redacted !== "object" || redacted === null || Array.isArray(redacted)) {
    throw new TypeError(`the redact hook returned ${redacted === null ? "null" : typeof redacted}, not an entry`);
  }
  if (redacted === entry) return entry;
  const out: Record<string, unknown> = { ...(redacted as Record<string, unknown>) };
  for (const field of STRUCTURAL) {
    if (field in entry) out[field] = entry[field];
    else delete out[field];
  }
  return out as SessionStoreEntry;
}

/** The methods of a `SessionStore` a decorator passes on (each only when the wrapped store has it). */
export const FORWARDED_SESSION_STORE_METHODS = ["load", "listSessions", "listSessionSummaries", "delete", "listSubkeys", "close"] as const;

/** A store as a decorator returns it: the `SessionStore` methods, and `close()` when the wrapped store has one. */
export type DecoratedSessionStore = SessionStore & { close?(): Promise<void> };

/**
 * A `SessionStore` that stores every appended entry through `redact` first (its `type`,
 * `uuid`, `parentUuid`, `timestamp` and `sessionId` are kept as given). `load`, the listings,
 * `delete`, `listSubkeys` and `close` go to `store` unchanged (each only when `store` has it);
 * summaries are folded by `store` over the redacted entries. Any other method of `store` is
 * not passed on: it could write around the redaction. When `redact` throws, nothing of the
 * batch is stored and `append` rejects with {@link SessionStoreRedactionError}.
 *
 * @example
 * const sessionStore = redactingSessionStore(new SQLiteSessionStore({ filename }), redactSecrets());
 */
export function redactingSessionStore(store: SessionStore & { close?(): Promise<void> }, redact: SessionStoreRedactHook): DecoratedSessionStore {
  const decorated: DecoratedSessionStore = {
    async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
      let redacted: SessionStoreEntry[];
      try {
        redacted = entries.map((entry) => redactEntry(entry, key, redact));
      } catch (cause) {
        throw new SessionStoreRedactionError(cause);
      }
      await store.append(key, redacted);
    },
    load: (key) => store.load(key),
  };
  const source = store as unknown as Record<string, unknown>;
  const target = decorated as unknown as Record<string, unknown>;
  for (const name of FORWARDED_SESSION_STORE_METHODS) {
    const method = source[name];
    if (name !== "load" && typeof method === "function") target[name] = (method as (...args: unknown[]) => unknown).bind(store);
  }
  return decorated;
}
