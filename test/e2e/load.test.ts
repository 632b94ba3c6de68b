import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { SandboxAgent, type SessionEvent } from "../../src/index.js";
import { allEvents, isGapFree, STORES, type TestStore } from "../support/client.js";

// The client under load on the real runtime: many sessions streaming long answers at once.
// What a user relies on: every prompt resolves, and every chunk the agent streamed is in the
// store once its prompt resolved, exactly once and in order. The chunks are numbered by the
// scripted agent, so a lost one (or one stored twice) is seen, not only a gap in eventIndex.

const SESSIONS = 40;
const PROMPTS = 10;
const CHUNKS = 500;

/** The numbers of the `chunk <k>` messages of each turn, in stored order. */
function chunkRuns(events: readonly SessionEvent[]): number[][] {
  const turns: number[][] = [];
  let current: number[] | undefined;
  for (const event of events) {
    const payload = event.payload as { method?: string; params?: { update?: { sessionUpdate?: string; content?: { text?: string } }; prompt?: unknown } };
    if (event.sender === "client" && payload.method === "session/prompt") turns.push((current = []));
    const update = payload.params?.update;
    if (update?.sessionUpdate !== "agent_message_chunk") continue;
    const match = /^chunk (\d+)\n$/.exec(update.content?.text ?? "");
    if (match && current) current.push(Number(match[1]));
  }
  return turns;
}

const expected = Array.from({ length: CHUNKS }, (_, k) => k);

describe("the client under load on the real runtime", () => {
  let runtime: RuntimeHandle | undefined;
  let store: TestStore | undefined;
  let sdk: SandboxAgent | undefined;

  afterEach(async () => {
    await sdk?.dispose();
    store?.cleanup();
    await runtime?.stop();
    sdk = undefined;
    store = undefined;
    runtime = undefined;
  });

  const runs: [string, string][] = [
    ["sqlite", "run 1"],
    ["sqlite", "run 2"],
    ["memory", "run 3"],
  ];
  it.each(runs)(
    `${SESSIONS} sessions x ${PROMPTS} prompts x ${CHUNKS} chunks (%s store, %s): every prompt resolves, every chunk stored once, in order`,
    async (storeName) => {
      runtime = await startRuntime();
      store = STORES[storeName]!();
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
      process.on("warning", onWarning);
      const errors: unknown[] = [];
      try {
        sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver, onError: (e) => errors.push(e) });
        const client = sdk;
        const outcomes = await Promise.all(
          Array.from({ length: SESSIONS }, async (_, s) => {
            const session = await client.createSession({ id: `load-${s}`, agent: "mock" });
            const results: string[] = [];
            for (let p = 0; p < PROMPTS; p++) {
              try {
                const response = await session.prompt(`/chunks ${CHUNKS}`, { timeoutMs: 120_000 });
                results.push(response.stopReason);
              } catch (error) {
                results.push(`rejected: ${(error as Error).message}`);
              }
            }
            return results;
          }),
        );
        expect(outcomes.flat().filter((outcome) => outcome !== "end_turn")).toEqual([]);
        for (let s = 0; s < SESSIONS; s++) {
          const events = await allEvents(store.driver, `load-${s}`);
          expect(isGapFree(events)).toBe(true);
          const turns = chunkRuns(events);
          expect(turns).toHaveLength(PROMPTS);
          for (const turn of turns) expect(turn).toEqual(expected);
          // Each prompt's response is stored too.
          const responses = events.filter((e) => e.sender === "agent" && (e.payload as { result?: { stopReason?: string } }).result?.stopReason === "end_turn");
          expect(responses).toHaveLength(PROMPTS);
        }
        expect(client.stats()).toMatchObject({ gapsLost: 0, eventsLost: 0 });
        expect(errors).toEqual([]);
        expect(warnings.filter((w) => w.includes("MaxListeners"))).toEqual([]);
      } finally {
        process.off("warning", onWarning);
      }
    },
    240_000,
  );
});
