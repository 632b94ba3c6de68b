import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { InvalidOptionsError, SandboxAgent, type Session } from "../../src/index.js";

/** The global fetch, recording every request made through it. */
function recordingFetch() {
  const requests: { method: string; url: string; body?: string }[] = [];
  const spy: typeof fetch = async (input, init) => {
    requests.push({ method: init?.method ?? "GET", url: String(input), body: typeof init?.body === "string" ? init.body : undefined });
    return fetch(input, init);
  };
  return { fetch: spy, requests };
}

/**
 * `run()`'s rejection and how long the check takes, in ms: the fastest of three runs, so a
 * busy machine's scheduling or a garbage collection in one run does not count as the check.
 */
async function rejection(run: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  let error: unknown;
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const caught = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    ms = Math.min(ms, performance.now() - started);
    if (i === 0) error = caught;
    else expect(caught?.constructor).toBe(error?.constructor);
  }
  return { error, ms };
}

describe("bad input on the real runtime: a typed error at once, nothing sent", () => {
  let runtime: RuntimeHandle;

  beforeAll(async () => {
    runtime = await startRuntime();
    // The first error of a process pays for compiling the code on its path and loading source
    // maps (5-15 ms under the test runner); the checks themselves take well under 1 ms.
    await SandboxAgent.connect({ baseUrl: "http://127.0.0.1:1/v1", persistence: {} } as never).catch(() => undefined);
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("a baseUrl ending in /v1 is refused at once instead of waiting out the health deadline", async () => {
    const spy = recordingFetch();
    const { error, ms } = await rejection(() => SandboxAgent.connect({ baseUrl: `${runtime.baseUrl}/v1`, token: runtime.token, fetch: spy.fetch }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain("the client adds /v1 itself");
    expect(ms).toBeLessThan(10);
    expect(spy.requests).toEqual([]);
  });

  it("a misspelled option is refused instead of falling back to memory", async () => {
    const spy = recordingFetch();
    const options = { baseUrl: runtime.baseUrl, token: runtime.token, fetch: spy.fetch, persistence: {} };
    const { error, ms } = await rejection(() => SandboxAgent.connect(options as never));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain('unknown option "persistence" (did you mean "persist"?)');
    expect(ms).toBeLessThan(10);
    expect(spy.requests).toEqual([]);
  });

  // Session.prompt checks its input with toPromptBlocks (src/client/prompt-input.ts).
  it("a malformed prompt is refused before anything is sent, and the session goes on", async () => {
    const spy = recordingFetch();
    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, fetch: spy.fetch });
    try {
      const session: Session = await sdk.createSession({ agent: "mock" });
      await session.prompt(0 as never).catch(() => undefined); // warm-up, as above
      const bad: unknown[] = [42, "", [], ["hi"], [{ type: "text" }], [{ type: "markdown", text: "# hi" }], { type: "image", data: "AA==" }];
      for (const prompt of bad) {
        const before = spy.requests.length;
        const { error, ms } = await rejection(() => session.prompt(prompt as never));
        expect(error, JSON.stringify(prompt)).toBeInstanceOf(InvalidOptionsError);
        expect(ms, JSON.stringify(prompt)).toBeLessThan(10);
        expect(spy.requests.slice(before), JSON.stringify(prompt)).toEqual([]);
      }
      const { stopReason } = await session.prompt("hello");
      expect(stopReason).toBe("end_turn");
      expect(spy.requests.filter((request) => request.body?.includes('"session/prompt"'))).toHaveLength(1);
    } finally {
      await sdk.dispose();
    }
  });
});
