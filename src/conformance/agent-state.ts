import assert from "node:assert/strict";
import { AGENT_STATE_METHODS, hasAgentState } from "../persist/capabilities.js";
import { MAX_AGENT_STATE_APPEND_BYTES, MAX_AGENT_STATE_PATH_LENGTH, type AgentStateStorage } from "../persist/agent-state.js";
import type { SessionPersistDriverWithCapabilities } from "../persist/types.js";
import { expectRejection, expectValidationError } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { makeEvent, minimalRecord } from "./fixtures.js";

// The agent state capability (appendAgentState, readAgentState, listAgentState,
// deleteAgentState). It has no fallback: a driver without it is checked to have none of the
// four methods (a driver with some of them only is broken), so every test asserts something.

type AgentStateDriver = SessionPersistDriverWithCapabilities & AgentStateStorage;

/** The driver when it stores agent state; otherwise `undefined`, after checking it has none of the methods. */
function agentStateDriver(ctx: SuiteContext): AgentStateDriver | undefined {
  const driver = ctx.driver();
  if (hasAgentState(driver)) return driver;
  const some = AGENT_STATE_METHODS.filter((name) => typeof driver[name] === "function");
  assert.deepEqual(some, [], "a driver has all four agent state methods or none of them");
  return undefined;
}

/** `n` bytes of a repeating pattern starting at `seed` (cheap, and different per seed). */
function bytes(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/** Every byte value 0..255, in order. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Compare byte arrays with a short message (deepEqual on megabytes prints megabytes). */
function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  assert.ok(actual instanceof Uint8Array || Object.prototype.toString.call(actual) === "[object Uint8Array]", `${what}: a Uint8Array`);
  const got = actual as Uint8Array;
  assert.equal(got.byteLength, expected.byteLength, `${what}: length`);
  for (let i = 0; i < got.byteLength; i++) {
    if (got[i] !== expected[i]) assert.fail(`${what}: byte ${i} is ${got[i]}, expected ${expected[i]}`);
  }
}

/** Expect AgentStateOffsetError carrying `storedSize`. */
async function expectOffsetError(run: () => Promise<unknown>, storedSize: number): Promise<void> {
  const error = await expectRejection(run, "AgentStateOffsetError", "persist.agent_state_offset");
  assert.equal((error as unknown as { storedSize: number }).storedSize, storedSize, "AgentStateOffsetError.storedSize");
}

/** Append `chunks` one after the other from offset 0; returns them concatenated. */
async function appendAll(driver: AgentStateDriver, sessionId: string, path: string, chunks: readonly Uint8Array[]): Promise<Uint8Array> {
  let offset = 0;
  for (const chunk of chunks) {
    await driver.appendAgentState(sessionId, path, offset, chunk);
    offset += chunk.byteLength;
  }
  const whole = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return whole;
}

/** Agent state storage. */
export function agentStateTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("agent state: round trip of binary data (all 256 byte values), listed with its size", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    const before = Date.now();
    await driver.appendAgentState("s-as", "claude-code/projects/-work-x/3f2c.jsonl", 0, ALL_BYTES);
    assertBytes(await driver.readAgentState("s-as", "claude-code/projects/-work-x/3f2c.jsonl"), ALL_BYTES, "read back");
    const [info, ...rest] = await driver.listAgentState("s-as");
    assert.deepEqual(rest, []);
    assert.equal(info?.path, "claude-code/projects/-work-x/3f2c.jsonl");
    assert.equal(info?.size, 256);
    assert.ok(Number.isFinite(info?.updatedAt) && Math.abs(info!.updatedAt - before) < 60_000, `updatedAt is a time near now: ${info?.updatedAt}`);
    assert.equal(await driver.readAgentState("s-as", "missing.jsonl"), undefined);
    assert.equal(await driver.readAgentState("s-other", "claude-code/projects/-work-x/3f2c.jsonl"), undefined);
    assert.deepEqual(await driver.listAgentState("s-other"), []);
  });

  it("agent state: offset 0 replaces the whole file, and an empty write at 0 stores an empty file", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    await appendAll(driver, "s-as-replace", "t.jsonl", [text("first line\n"), text("second line\n")]);
    await driver.appendAgentState("s-as-replace", "t.jsonl", 0, text("new"));
    assertBytes(await driver.readAgentState("s-as-replace", "t.jsonl"), text("new"), "replaced");
    assert.equal((await driver.listAgentState("s-as-replace"))[0]?.size, 3);
    await driver.appendAgentState("s-as-replace", "t.jsonl", 3, text("+more"));
    assertBytes(await driver.readAgentState("s-as-replace", "t.jsonl"), text("new+more"), "appended after the replace");
    await driver.appendAgentState("s-as-replace", "t.jsonl", 0, new Uint8Array(0));
    assertBytes(await driver.readAgentState("s-as-replace", "t.jsonl"), new Uint8Array(0), "emptied");
    await driver.appendAgentState("s-as-replace", "empty.bin", 0, new Uint8Array(0));
    assertBytes(await driver.readAgentState("s-as-replace", "empty.bin"), new Uint8Array(0), "an empty file");
    assert.deepEqual(
      (await driver.listAgentState("s-as-replace")).map(({ path, size }) => ({ path, size })),
      [
        { path: "empty.bin", size: 0 },
        { path: "t.jsonl", size: 0 },
      ],
    );
  });

  it("agent state: appends at the stored size add to the end; an empty append changes nothing", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    const lines = Array.from({ length: 20 }, (_, i) => text(`{"turn":${i},"text":"${"x".repeat(i * 3)}"}\n`));
    const whole = await appendAll(driver, "s-as-append", "transcript.jsonl", lines);
    assertBytes(await driver.readAgentState("s-as-append", "transcript.jsonl"), whole, "twenty appends");
    const listed = await driver.listAgentState("s-as-append");
    assert.equal(listed[0]?.size, whole.byteLength);
    await new Promise((resolve) => setTimeout(resolve, 5)); // so that a new updatedAt would show
    await driver.appendAgentState("s-as-append", "transcript.jsonl", whole.byteLength, new Uint8Array(0));
    assertBytes(await driver.readAgentState("s-as-append", "transcript.jsonl"), whole, "after an empty append");
    assert.deepEqual(await driver.listAgentState("s-as-append"), listed, "an empty append changes nothing, not even updatedAt");
  });

  it("agent state: a write at any other offset is AgentStateOffsetError with the stored size, and changes nothing", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    await driver.appendAgentState("s-as-offset", "a.jsonl", 0, text("0123456789"));
    const listed = await driver.listAgentState("s-as-offset");
    for (const offset of [1, 5, 9, 11, 1000]) {
      await expectOffsetError(() => driver.appendAgentState("s-as-offset", "a.jsonl", offset, text("!")), 10);
    }
    await expectOffsetError(() => driver.appendAgentState("s-as-offset", "a.jsonl", 5, new Uint8Array(0)), 10);
    assertBytes(await driver.readAgentState("s-as-offset", "a.jsonl"), text("0123456789"), "untouched");
    assert.deepEqual(await driver.listAgentState("s-as-offset"), listed, "listing untouched (size and updatedAt)");
    // A file not stored has size 0: only offset 0 writes it.
    await expectOffsetError(() => driver.appendAgentState("s-as-offset", "new.jsonl", 3, text("abc")), 0);
    assert.equal(await driver.readAgentState("s-as-offset", "new.jsonl"), undefined);
    await expectOffsetError(() => driver.appendAgentState("s-as-none", "a.jsonl", 10, text("abc")), 0);
    assert.deepEqual(await driver.listAgentState("s-as-none"), []);
  });

  it("agent state: of writers racing to append at one offset exactly one wins; retried from the stored size, every append lands whole", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    const head = text("head\n");
    await driver.appendAgentState("s-as-race", "r.jsonl", 0, head);
    const writers = Array.from({ length: 8 }, (_, i) => text(`writer ${i} ${"#".repeat(40 + i)}\n`));
    const first = await Promise.allSettled(writers.map((data) => driver.appendAgentState("s-as-race", "r.jsonl", head.byteLength, data)));
    const won = first.filter((r) => r.status === "fulfilled").length;
    assert.equal(won, 1, `exactly one racing append at one offset succeeds (got ${won})`);
    for (const r of first) {
      if (r.status === "rejected") assert.equal((r.reason as Error).name, "AgentStateOffsetError", String(r.reason));
    }
    // Every loser retries at the size it was told, until it lands.
    const winner = first.findIndex((r) => r.status === "fulfilled");
    await Promise.all(
      writers.map(async (data, i) => {
        if (i === winner) return;
        let offset = head.byteLength;
        for (let attempt = 0; ; attempt++) {
          assert.ok(attempt < 100, "a retrying writer lands within 100 attempts");
          try {
            await driver.appendAgentState("s-as-race", "r.jsonl", offset, data);
            return;
          } catch (error) {
            const e = error as Error & { storedSize?: number };
            if (e.name !== "AgentStateOffsetError" || e.storedSize === undefined) throw error;
            offset = e.storedSize;
          }
        }
      }),
    );
    const stored = new TextDecoder().decode(await driver.readAgentState("s-as-race", "r.jsonl"));
    const lines = stored.split("\n").slice(0, -1);
    assert.equal(lines[0], "head");
    assert.deepEqual(lines.slice(1).sort(), writers.map((w) => new TextDecoder().decode(w).slice(0, -1)).sort(), "each append once, whole");
    assert.equal((await driver.listAgentState("s-as-race"))[0]?.size, text(stored).byteLength);
  });

  it("agent state: listAgentState orders by path in code-point order, per session, with each size", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    // "\u{1F600}" sorts after "\uFF61" by code point, before it by UTF-16 unit.
    const paths = ["b", "a/b", "a", "\uFF61x", "\u{1F600}.jsonl", "A", "a b", "é"];
    for (const [i, path] of paths.entries()) await driver.appendAgentState("s-as-list", path, 0, bytes(i + 1, i));
    await driver.appendAgentState("s-as-list-2", "z", 0, bytes(3));
    const listed = await driver.listAgentState("s-as-list");
    assert.deepEqual(
      listed.map((f) => f.path),
      ["A", "a", "a b", "a/b", "b", "é", "\uFF61x", "\u{1F600}.jsonl"],
    );
    for (const f of listed) assert.equal(f.size, paths.indexOf(f.path) + 1, `size of ${f.path}`);
    for (const [i, path] of paths.entries()) assertBytes(await driver.readAgentState("s-as-list", path), bytes(i + 1, i), path);
    assert.deepEqual((await driver.listAgentState("s-as-list-2")).map((f) => f.path), ["z"]);
  });

  it("agent state: deleteAgentState deletes one file or all of a session's; unknown ones are a no-op", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    for (const path of ["one", "two", "three"]) await driver.appendAgentState("s-as-del", path, 0, text(path));
    await driver.appendAgentState("s-as-keep", "one", 0, text("kept"));
    await driver.deleteAgentState("s-as-del", "two");
    assert.deepEqual((await driver.listAgentState("s-as-del")).map((f) => f.path), ["one", "three"]);
    assert.equal(await driver.readAgentState("s-as-del", "two"), undefined);
    await driver.deleteAgentState("s-as-del", "two");
    await driver.deleteAgentState("s-as-del", "never-stored");
    await driver.deleteAgentState("s-as-unknown");
    await driver.deleteAgentState("s-as-del");
    assert.deepEqual(await driver.listAgentState("s-as-del"), []);
    assert.equal(await driver.readAgentState("s-as-del", "one"), undefined);
    assertBytes(await driver.readAgentState("s-as-keep", "one"), text("kept"), "another session's file");
    // A deleted file starts again at 0.
    await expectOffsetError(() => driver.appendAgentState("s-as-del", "one", 3, text("x")), 0);
    await driver.appendAgentState("s-as-del", "one", 0, text("again"));
    assertBytes(await driver.readAgentState("s-as-del", "one"), text("again"), "rewritten");
  });

  it("agent state: deleteSession deletes the session's files (with or without a record), and no other session's", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    assert.equal(typeof driver.deleteSession, "function", "a driver with agent state has deleteSession");
    await driver.updateSession(minimalRecord("s-as-gone"));
    await driver.insertEvent("s-as-gone", makeEvent("s-as-gone", 0));
    await driver.appendAgentState("s-as-gone", "t.jsonl", 0, text("bye"));
    await driver.appendAgentState("s-as-bare", "t.jsonl", 0, text("no record"));
    await driver.appendAgentState("s-as-stays", "t.jsonl", 0, text("stays"));
    await driver.deleteSession!("s-as-gone");
    await driver.deleteSession!("s-as-bare");
    assert.deepEqual(await driver.listAgentState("s-as-gone"), []);
    assert.equal(await driver.readAgentState("s-as-gone", "t.jsonl"), undefined);
    assert.deepEqual(await driver.listAgentState("s-as-bare"), []);
    assertBytes(await driver.readAgentState("s-as-stays", "t.jsonl"), text("stays"), "another session's file");
  });

  it("agent state: bad arguments are a PersistValidationError naming the field, and change nothing", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    await driver.appendAgentState("s-as-val", "ok", 0, text("kept"));
    const data = text("x");
    const badPaths: unknown[] = ["", "a".repeat(MAX_AGENT_STATE_PATH_LENGTH + 1), "lone \ud800 surrogate", "nul\u0000byte", 42, undefined, null];
    for (const path of badPaths) {
      await expectValidationError(() => driver.appendAgentState("s-as-val", path as string, 0, data), "path");
      await expectValidationError(() => driver.readAgentState("s-as-val", path as string), "path");
      if (path !== undefined) await expectValidationError(() => driver.deleteAgentState("s-as-val", path as string), "path");
    }
    for (const offset of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, "0", undefined]) {
      await expectValidationError(() => driver.appendAgentState("s-as-val", "ok", offset as number, data), "offset");
    }
    for (const bad of [[1, 2, 3], "text", new ArrayBuffer(3), new Uint16Array(2), new DataView(new ArrayBuffer(2)), null, undefined]) {
      await expectValidationError(() => driver.appendAgentState("s-as-val", "ok", 0, bad as unknown as Uint8Array), "data");
    }
    for (const sessionId of ["", "\udc00", 7]) {
      await expectValidationError(() => driver.appendAgentState(sessionId as string, "ok", 0, data), "sessionId");
      await expectValidationError(() => driver.readAgentState(sessionId as string, "ok"), "sessionId");
      await expectValidationError(() => driver.listAgentState(sessionId as string), "sessionId");
      await expectValidationError(() => driver.deleteAgentState(sessionId as string), "sessionId");
    }
    await expectValidationError(
      () => driver.appendAgentState("s-as-val", "ok", 0, new Uint8Array(MAX_AGENT_STATE_APPEND_BYTES + 1)),
      "data",
    );
    assertBytes(await driver.readAgentState("s-as-val", "ok"), text("kept"), "untouched");
    assert.deepEqual((await driver.listAgentState("s-as-val")).map((f) => f.path), ["ok"]);
    // The limits themselves are accepted.
    const longest = "p".repeat(MAX_AGENT_STATE_PATH_LENGTH - 2) + "\u{1F600}";
    await driver.appendAgentState("s-as-val", longest, 0, data);
    assertBytes(await driver.readAgentState("s-as-val", longest), data, "the longest path");
  });

  it("agent state: arrays passed in and handed out are copies", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    const data = text("original");
    const pending = driver.appendAgentState("s-as-copy", "c", 0, data);
    data.fill(0x21); // changed while the write may still be under way
    await pending;
    assertBytes(await driver.readAgentState("s-as-copy", "c"), text("original"), "a passed array changed during the call");
    const more = text("+tail");
    await driver.appendAgentState("s-as-copy", "c", 8, more);
    more.fill(0x21);
    const read = await driver.readAgentState("s-as-copy", "c");
    assertBytes(read, text("original+tail"), "a passed array changed after the call");
    read!.fill(0x3f);
    assertBytes(await driver.readAgentState("s-as-copy", "c"), text("original+tail"), "a returned array changed");
    const view = new Uint8Array(text("__window__").buffer, 2, 6); // a view into a larger buffer
    await driver.appendAgentState("s-as-copy", "view", 0, view);
    assertBytes(await driver.readAgentState("s-as-copy", "view"), text("window"), "only the view's bytes are stored");
  });

  it("agent state: a large file in many appends, and one append of the largest size, read back whole", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    const chunks = Array.from({ length: 300 }, (_, i) => bytes(2000 + (i % 7) * 100, i));
    const whole = await appendAll(driver, "s-as-large", "long.jsonl", chunks);
    assertBytes(await driver.readAgentState("s-as-large", "long.jsonl"), whole, "300 appends");
    assert.equal((await driver.listAgentState("s-as-large"))[0]?.size, whole.byteLength);
    const max = bytes(MAX_AGENT_STATE_APPEND_BYTES, 5);
    await driver.appendAgentState("s-as-large", "max.bin", 0, max);
    await driver.appendAgentState("s-as-large", "max.bin", max.byteLength, ALL_BYTES);
    const read = await driver.readAgentState("s-as-large", "max.bin");
    assertBytes(read?.subarray(0, max.byteLength), max, "the largest append");
    assertBytes(read?.subarray(max.byteLength), ALL_BYTES, "the append after it");
  });

  it("agent state: after close(), every agent state call rejects with DriverClosedError", async () => {
    const driver = agentStateDriver(ctx);
    if (!driver) return;
    await driver.appendAgentState("s-as-close", "f", 0, text("x"));
    assert.equal(typeof driver.close, "function", "a driver with agent state has close()");
    await driver.close!();
    ctx.markClosed();
    const calls: [string, () => Promise<unknown>][] = [
      ["appendAgentState", () => driver.appendAgentState("s-as-close", "f", 1, text("y"))],
      ["readAgentState", () => driver.readAgentState("s-as-close", "f")],
      ["listAgentState", () => driver.listAgentState("s-as-close")],
      ["deleteAgentState", () => driver.deleteAgentState("s-as-close")],
    ];
    for (const [name, call] of calls) {
      try {
        await expectRejection(call, "DriverClosedError", "persist.closed");
      } catch (error) {
        throw new Error(`${name} after close(): ${(error as Error).message}`);
      }
    }
  });
}
