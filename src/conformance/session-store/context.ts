import { summaryFolder } from "../../session-store/fold.js";
import type { FoldSessionSummary, SessionStore } from "../../session-store/types.js";
import type { SessionStoreConformanceOptions, SessionStoreConformanceTestApi } from "./types.js";

/** What every group of session store tests receives. */
export interface StoreSuiteContext {
  /** Register one test under its stable id (run with `test.fails` when it is an expected failure). */
  it(id: string, name: string, fn: () => Promise<void>): void;
  /** The fresh store of the running test. */
  store(): SessionStore;
  /** `n` writers on the running test's storage: the store itself first, then peers (or the store again). */
  writers(n: number): Promise<SessionStore[]>;
  /** The fold to check summaries with. */
  fold(): Promise<FoldSessionSummary>;
  /** `n` scaled by the suite's scale, at least `min`. */
  scaled(n: number, min: number): number;
}

/** The context, and what the suite does around each test. */
export interface StoreSuiteState {
  /** The context handed to the groups. */
  readonly ctx: StoreSuiteContext;
  /** Make the store of the next test. */
  open(): Promise<void>;
  /** Dispose of the test's store and its peers. */
  close(): Promise<void>;
}

/** Build the shared context from the options. */
export function createStoreContext<S extends SessionStore>(options: SessionStoreConformanceOptions<S>): StoreSuiteState {
  const test: SessionStoreConformanceTestApi = options.test;
  const expected = options.expectedFailures ?? {};
  if (Object.keys(expected).length > 0 && typeof test.fails !== "function") {
    throw new TypeError("session store conformance: expectedFailures needs test.fails (vitest it.fails, Jest test.failing)");
  }
  const scale = options.scale ?? 1;
  if (!(scale > 0 && scale <= 10)) throw new RangeError(`session store conformance: scale must be in (0, 10], got ${String(scale)}`);
  const fold = summaryFolder(options.foldSessionSummary);
  const registered = new Set<string>();
  let current: S | undefined;
  let peers: S[] = [];

  const ctx: StoreSuiteContext = {
    it(id, name, fn) {
      if (registered.has(id)) throw new Error(`session store conformance: test id ${id} registered twice`);
      registered.add(id);
      const reason = expected[id];
      if (reason === undefined) test.it(`[${id}] ${name}`, fn);
      else test.fails?.(`[${id}] ${name} (expected to fail: ${reason})`, fn);
    },
    store() {
      if (current === undefined) throw new Error("session store conformance: no store (createStore has not run)");
      return current;
    },
    async writers(n) {
      const store = ctx.store() as S;
      const out: SessionStore[] = [store];
      for (let i = 1; i < n; i++) {
        if (options.openPeer === undefined) out.push(store);
        else {
          const peer = await options.openPeer(store);
          peers.push(peer);
          out.push(peer);
        }
      }
      return out;
    },
    fold,
    scaled: (n, min) => Math.max(min, Math.round(n * scale)),
  };

  return {
    ctx,
    async open() {
      current = await options.createStore();
    },
    async close() {
      const all = [...peers, ...(current === undefined ? [] : [current])];
      current = undefined;
      peers = [];
      for (const store of all) await options.disposeStore?.(store);
    },
  };
}
