import { performance } from "node:perf_hooks";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { checkOptionKeys } from "../../src/client/check-options.js";
import { CONNECT_OPTION_NAMES } from "../../src/client/options.js";
import { closestName, editDistance } from "../../src/client/closest-name.js";
import { InvalidOptionsError, SandboxAgent, type SandboxAgentConnectOptions } from "../../src/index.js";
import { checkRuntimeBaseUrl } from "../../src/transport/base-url.js";

/** A fetch that records calls and never reaches anything. */
const fetchSpy = () => vi.fn<typeof fetch>(async () => new Response(JSON.stringify({ status: "ok" })));

/** `connect(options)`'s rejection and how long it took, in ms. */
/** `connect`'s rejection, and what the check costs: the fastest of three runs (a busy machine's scheduling is not the check). */
async function refused(options: unknown): Promise<{ error: unknown; ms: number }> {
  let error: unknown;
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const caught = await SandboxAgent.connect(options as SandboxAgentConnectOptions).then(
      async (sdk) => {
        await sdk.dispose();
        return undefined;
      },
      (e: unknown) => e,
    );
    ms = Math.min(ms, performance.now() - started);
    error ??= caught;
  }
  return { error, ms };
}

describe("closestName", () => {
  it("measures edits", () => {
    expect(editDistance("persist", "persist")).toBe(0);
    expect(editDistance("replayMaxEvent", "replayMaxEvents")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("finds the name meant, ignoring case, and guesses nothing when none or several are near", () => {
    expect(closestName("persistence", CONNECT_OPTION_NAMES)).toBe("persist");
    expect(closestName("replayMaxEvent", CONNECT_OPTION_NAMES)).toBe("replayMaxEvents");
    expect(closestName("baseURL", CONNECT_OPTION_NAMES)).toBe("baseUrl");
    expect(closestName("url", CONNECT_OPTION_NAMES)).toBe("baseUrl");
    expect(closestName("tokn", CONNECT_OPTION_NAMES)).toBe("token");
    expect(closestName("conectionScope", CONNECT_OPTION_NAMES)).toBe("connectionScope");
    expect(closestName("apiKey", CONNECT_OPTION_NAMES)).toBeUndefined();
    // promptTimeoutMs, healthTimeoutMs: equally near, so no guess.
    expect(closestName("timeoutMs", ["promptTimeoutMs", "healthTimeoutMs"])).toBeUndefined();
  });
});

describe("checkOptionKeys", () => {
  it("accepts known keys, refuses others with the closest known one", () => {
    expect(() => checkOptionKeys("f", { a: 1, bravo: 2 }, ["a", "bravo"])).not.toThrow();
    expect(() => checkOptionKeys("f", {}, ["a"])).not.toThrow();
    expect(() => checkOptionKeys("f", { brvo: 2 }, ["a", "bravo"])).toThrow('f: unknown option "brvo" (did you mean "bravo"?)');
    expect(() => checkOptionKeys("f", { zzz: 1, brvo: 2 }, ["a", "bravo"])).toThrow('f: unknown options "zzz", "brvo" (did you mean "bravo"?)');
    expect(() => checkOptionKeys("f", { zzz: 1 }, ["a", "bravo"])).toThrow('f: unknown option "zzz" (known options: a, bravo)');
  });

  it("refuses what is not an options object", () => {
    for (const [value, shown] of [[undefined, "undefined"], [null, "null"], ["http://h", "string"], [[], "an array"]] as const) {
      expect(() => checkOptionKeys("f", value, ["a"])).toThrow(`f takes an options object, got ${shown}`);
    }
  });
});

describe("SandboxAgent.connect refuses bad options at once, sending nothing", () => {
  const base = "http://127.0.0.1:2468";

  beforeAll(async () => {
    // The first error of a process pays for compiling the code on its path and loading source
    // maps (5-15 ms under the test runner); the checks themselves take well under 1 ms.
    await refused({ baseUrl: `${base}/v1`, persistence: {} });
  });

  it.each([
    [{ persistence: "x" }, /unknown option "persistence" \(did you mean "persist"\?\)/],
    [{ replayMaxEvent: 10 }, /unknown option "replayMaxEvent" \(did you mean "replayMaxEvents"\?\)/],
    [{ baseURL: base }, /unknown option "baseURL" \(did you mean "baseUrl"\?\)/],
    [{ apiKey: "k" }, /unknown option "apiKey" \(known options: baseUrl, token, /],
  ])("%o", async (extra, message) => {
    const fetch = fetchSpy();
    const { error, ms } = await refused({ baseUrl: base, fetch, ...extra });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe("client.invalid_options");
    expect((error as Error).message).toMatch(message);
    expect(ms).toBeLessThan(10);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("refuses a call without an options object", async () => {
    const { error, ms } = await refused(undefined);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(ms).toBeLessThan(10);
  });

  it.each([
    ["http://127.0.0.1:2468/v1", 'the path "/v1"', "the client adds /v1 itself"],
    ["http://127.0.0.1:2468/v1/", 'the path "/v1/"', "the client adds /v1 itself"],
    ["http://127.0.0.1:2468/v1/health", 'the path "/v1/health"', "the client adds /v1 itself"],
    ["http://127.0.0.1:2468/?x=1", "a query", ""],
    ["http://127.0.0.1:2468/#top", "a fragment", ""],
  ])("refuses baseUrl %s for the sandbox-agent runtime", async (baseUrl, what, hint) => {
    const fetch = fetchSpy();
    const { error, ms } = await refused({ baseUrl, fetch });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain(`has ${what}`);
    expect((error as Error).message).toContain('give the server\'s root (or a proxy\'s path prefix), e.g. "http://127.0.0.1:2468"');
    expect((error as Error).message).toContain(hint);
    expect(ms).toBeLessThan(10);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("keeps a path prefix (a runtime behind a proxy at /sandbox), as the reference client does", async () => {
    const fetch = fetchSpy();
    const sdk = await SandboxAgent.connect({ baseUrl: `${base}/sandbox/`, fetch, healthTimeoutMs: 1000 });
    expect(fetch.mock.calls[0]?.[0]).toBe(`${base}/sandbox/v1/health`);
    await sdk.dispose();
    expect(() => checkRuntimeBaseUrl("http://h:2468/sandbox/v1")).toThrow('e.g. "http://h:2468/sandbox"');
  });

  it("accepts a root with or without its trailing slash, and paths for the ACP transports", async () => {
    for (const baseUrl of [base, `${base}/`]) {
      const fetch = fetchSpy();
      const sdk = await SandboxAgent.connect({ baseUrl, fetch, healthTimeoutMs: 1000 });
      expect(sdk.transport.target).toBe(base);
      expect(fetch.mock.calls[0]?.[0]).toBe(`${base}/v1/health`);
      await sdk.dispose();
    }
    expect(new SandboxAgent({ baseUrl: "http://127.0.0.1:1/acp", transport: "acp-http" }).transport.kind).toBe("acp-http");
    expect(new SandboxAgent({ baseUrl: "ws://127.0.0.1:1/acp" }).transport.kind).toBe("acp-websocket");
  });

  it("never shows credentials of a refused URL", () => {
    expect(() => checkRuntimeBaseUrl("http://user:s3cret@h:2468/v1")).toThrow(/^(?!.*s3cret).*$/);
    expect(() => checkRuntimeBaseUrl("http://user:s3cret@h:2468/v1")).toThrow('"http://***@h:2468"');
    expect(() => checkRuntimeBaseUrl("not a url")).not.toThrow(); // left to the transport, which names it
  });
});
