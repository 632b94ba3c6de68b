// Agent state snapshots without a runtime: the kinds, the options, and the snapshotter and
// write-back over an in-memory sandbox and the in-memory driver (the real runtime's file API
// is exercised in test/e2e/agent-state.test.ts).
import { describe, expect, it } from "vitest";
import { writeBack } from "../../src/agent-state/restorer.js";
import { AgentStateSnapshotter } from "../../src/agent-state/snapshotter.js";
import { fileKey, MANIFEST_KEY } from "../../src/agent-state/manifest.js";
import { resolveAgentStateOptions } from "../../src/agent-state/options.js";
import type { AgentStateDriver, AgentStateTarget, SandboxFileAccess } from "../../src/agent-state/types.js";
import {
  AgentStateTooLargeError,
  claudeCodeAgentState,
  claudeProjectSlug,
  defineAgentStateKind,
  InMemorySessionPersistDriver,
  InvalidOptionsError,
  SandboxAgent,
  type SessionEvent,
} from "../../src/index.js";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

/** A sandbox's files in memory, counting reads. */
class MemorySandbox implements SandboxFileAccess {
  readonly files = new Map<string, Uint8Array>();
  reads = 0;
  async stat(path: string): Promise<{ size: number } | undefined> {
    const data = this.files.get(path);
    return data === undefined ? undefined : { size: data.length };
  }
  async read(path: string): Promise<Uint8Array | undefined> {
    this.reads++;
    return this.files.get(path)?.slice();
  }
  async write(path: string, data: Uint8Array): Promise<void> {
    this.files.set(path, data.slice());
  }
  append(path: string, text: string): void {
    const old = this.files.get(path) ?? new Uint8Array();
    const next = new Uint8Array(old.length + encode(text).length);
    next.set(old);
    next.set(encode(text), old.length);
    this.files.set(path, next);
  }
}

const FILE = "/state/sessions/a1.jsonl";
const kind = defineAgentStateKind({ name: "test", files: ({ agentSessionId }) => [{ path: `/state/sessions/${agentSessionId}.jsonl`, appendOnly: true }] });
const target: AgentStateTarget = { sessionId: "s1", agent: "test", agentSessionId: "a1", cwd: "/work" };

function setup(options: { maxFileBytes?: number; maxSessionBytes?: number } = {}) {
  const sandbox = new MemorySandbox();
  const store = new InMemorySessionPersistDriver() as unknown as AgentStateDriver;
  const resolved = resolveAgentStateOptions({ kinds: { test: kind }, ...options });
  const snapshotter = new AgentStateSnapshotter({ files: sandbox, storage: store, options: resolved, callTimeoutMs: 5_000 });
  const snap = () => snapshotter.snapshot(target, new AbortController().signal);
  return { sandbox, store, snapshotter, snap };
}

/** A completed turn in the store: the agent's answer to a prompt, at `eventIndex`. */
async function turnEnd(store: AgentStateDriver, eventIndex: number): Promise<void> {
  if ((await store.getSession("s1")) === undefined) {
    await store.updateSession({ id: "s1", agent: "test", agentSessionId: "a1", lastConnectionId: "c", createdAt: 1 });
  }
  const event: SessionEvent = {
    id: `e${eventIndex}`,
    eventIndex,
    sessionId: "s1",
    createdAt: 1,
    connectionId: "c",
    sender: "agent",
    payload: { jsonrpc: "2.0", id: eventIndex, result: { stopReason: "end_turn" } },
  };
  await store.insertEvent("s1", event);
}

describe("agent state kinds", () => {
  it("Claude Code's project slug: every character but ASCII letters and digits becomes '-'; long ones are cut and hashed", () => {
    expect(claudeProjectSlug("/work/main")).toBe("-work-main");
    expect(claudeProjectSlug("/tmp/durable-agent-runtime-x1/claude/workspace")).toBe("-tmp-durable-agent-runtime-x1-claude-workspace");
    expect(claudeProjectSlug("/home/zoë/my project.v2")).toBe("-home-zo--my-project-v2");
    const long = `/${"a".repeat(250)}`;
    expect(claudeProjectSlug(long)).toMatch(new RegExp(`^-${"a".repeat(199)}-[0-9a-z]+$`));
    expect(claudeProjectSlug(long)).toBe(claudeProjectSlug(long));
  });

  it("Claude Code's transcript path under the config dir (default ~/.claude, relative to the runtime's home)", () => {
    expect(claudeCodeAgentState().files({ agentSessionId: "3f2c-11", cwd: "/work/x" })).toEqual([
      { path: ".claude/projects/-work-x/3f2c-11.jsonl", appendOnly: true },
    ]);
    expect(claudeCodeAgentState({ configDir: "/cfg/" }).files({ agentSessionId: "id", cwd: "/w" })[0]?.path).toBe("/cfg/projects/-w/id.jsonl");
    // An agent session id that could name another path names no file.
    expect(claudeCodeAgentState().files({ agentSessionId: "../../etc/passwd", cwd: "/w" })).toEqual([]);
    expect(claudeCodeAgentState().files({ agentSessionId: ".hidden", cwd: "/w" })).toEqual([]);
  });

  it("with a redact hook, snapshots are off unless unredacted is set (a boolean)", () => {
    expect(resolveAgentStateOptions({}, { redacting: true })).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("redact is set") });
    expect(resolveAgentStateOptions({ unredacted: true }, { redacting: true })).toMatchObject({ enabled: true, disabledReason: undefined });
    expect(resolveAgentStateOptions(undefined)).toMatchObject({ enabled: true, disabledReason: undefined });
    expect(() => resolveAgentStateOptions({ unredacted: "yes" as never })).toThrow("agentState.unredacted must be a boolean");
  });

  it("refuses a malformed kind or option with a clear error, at connect", async () => {
    expect(() => defineAgentStateKind({ name: "", files: () => [] })).toThrow(/non-empty name/);
    expect(() => defineAgentStateKind({ name: "x", files: 3 as never })).toThrow(/files must be a function/);
    const connect = (agentState: unknown) => SandboxAgent.connect({ baseUrl: "http://127.0.0.1:9", skipHealthCheck: true, agentState: agentState as never });
    await expect(connect({ maxFileBytes: -1 })).rejects.toThrow(InvalidOptionsError);
    await expect(connect({ maxFileBytes: -1 })).rejects.toThrow(/agentState.maxFileBytes/);
    await expect(connect({ kinds: { x: { name: "x" } } })).rejects.toThrow(/agentState.kinds\["x"\]/);
    await expect(connect({ maxFilesBytes: 1 })).rejects.toThrow(/no option "maxFilesBytes"/);
    await expect(connect("yes")).rejects.toThrow(/agentState must be false or an object/);
  });
});

describe("the snapshotter", () => {
  it("stores an append-only file whole once, then only the bytes added since", async () => {
    const { sandbox, store, snap } = setup();
    sandbox.append(FILE, '{"t":"session"}\n');
    await turnEnd(store, 1);
    expect(await snap()).toMatchObject({ files: 1, bytesRead: 16, bytesStored: 16 });
    sandbox.append(FILE, '{"t":"entry","text":"hi"}\n');
    await turnEnd(store, 5);
    expect(await snap()).toMatchObject({ files: 1, bytesRead: 42, bytesStored: 26 });
    expect(decode(await store.readAgentState("s1", fileKey(FILE)))).toBe(decode(sandbox.files.get(FILE)));
    // Unchanged: not even read.
    const reads = sandbox.reads;
    expect(await snap()).toMatchObject({ bytesRead: 0, bytesStored: 0 });
    expect(sandbox.reads).toBe(reads);
    const manifest = JSON.parse(decode(await store.readAgentState("s1", MANIFEST_KEY))!);
    expect(manifest).toMatchObject({ agentSessionId: "a1", coversEventIndex: 5, files: [{ path: FILE, appendOnly: true }] });
  });

  it("the manifest claims the turn the snapshot was taken for, not a later one that ended meanwhile", async () => {
    const { sandbox, store, snapshotter } = setup();
    sandbox.files.set(FILE, encode("turn 1\nturn 2 half"));
    await turnEnd(store, 4);
    await turnEnd(store, 9);
    await snapshotter.snapshot(target, new AbortController().signal, Promise.resolve(4));
    expect(JSON.parse(decode(await store.readAgentState("s1", MANIFEST_KEY))!)).toMatchObject({ coversEventIndex: 4 });
    // So after a loss it counts as older than the last turn, and is not used.
    expect(await writeBack(new MemorySandbox(), store, target, () => new AbortController().signal)).toEqual({ skipped: "stale" });
  });

  it("stores the file whole again when its beginning changed, or it shrank", async () => {
    const { sandbox, store, snap } = setup();
    sandbox.files.set(FILE, encode("line one\n"));
    await snap();
    sandbox.files.set(FILE, encode("LINE ONE\nline two\n"));
    expect(await snap()).toMatchObject({ bytesStored: 18 });
    expect(decode(await store.readAgentState("s1", fileKey(FILE)))).toBe("LINE ONE\nline two\n");
    sandbox.files.set(FILE, encode("short\n"));
    expect(await snap()).toMatchObject({ bytesStored: 6 });
    expect(decode(await store.readAgentState("s1", fileKey(FILE)))).toBe("short\n");
  });

  it("a fresh client (nothing known) checks the stored copy once before appending", async () => {
    const { sandbox, store, snap } = setup();
    sandbox.files.set(FILE, encode("one\n"));
    await snap();
    const other = new AgentStateSnapshotter({ files: sandbox, storage: store, options: resolveAgentStateOptions({ kinds: { test: kind } }), callTimeoutMs: 5_000 });
    sandbox.append(FILE, "two\n");
    expect(await other.snapshot(target, new AbortController().signal)).toMatchObject({ bytesStored: 4 });
    // Another writer changed the stored copy meanwhile: it no longer begins the file, so the whole file is stored.
    sandbox.append(FILE, "three\n");
    await store.appendAgentState("s1", fileKey(FILE), 8, encode("xx"));
    await snap();
    expect(decode(await store.readAgentState("s1", fileKey(FILE)))).toBe("one\ntwo\nthree\n");
  });

  it("a file that is not append-only is stored whole when it changed, not at all when it did not", async () => {
    const sandbox = new MemorySandbox();
    const store = new InMemorySessionPersistDriver() as unknown as AgentStateDriver;
    const state = defineAgentStateKind({ name: "state", files: () => [{ path: "/state/s.json", appendOnly: false }] });
    const snapshotter = new AgentStateSnapshotter({ files: sandbox, storage: store, options: resolveAgentStateOptions({ kinds: { test: state } }), callTimeoutMs: 5_000 });
    const snap = () => snapshotter.snapshot(target, new AbortController().signal);
    sandbox.files.set("/state/s.json", encode('{"mode":"ask"}'));
    expect(await snap()).toMatchObject({ bytesStored: 14 });
    expect(await snap()).toMatchObject({ bytesRead: 14, bytesStored: 0 });
    // Same size, other content.
    sandbox.files.set("/state/s.json", encode('{"mode":"cod"}'));
    expect(await snap()).toMatchObject({ bytesStored: 14 });
    expect(decode(await store.readAgentState("s1", fileKey("/state/s.json")))).toBe('{"mode":"cod"}');
  });

  it("a file over the cap: the stored copy is dropped and a typed error thrown", async () => {
    const { sandbox, store, snap } = setup({ maxFileBytes: 10 });
    sandbox.files.set(FILE, encode("small\n"));
    await snap();
    sandbox.append(FILE, "and now too big\n");
    const error = await snap().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentStateTooLargeError);
    expect(error).toMatchObject({ code: "agent_state.too_large", path: FILE, size: 22, limit: 10 });
    expect(await store.listAgentState("s1")).toEqual([]);
  });

  it("a session rebound to another agent session drops the old one's files", async () => {
    const { sandbox, store, snapshotter } = setup();
    sandbox.files.set(FILE, encode("old\n"));
    await snapshotter.snapshot(target, new AbortController().signal);
    sandbox.files.set("/state/sessions/a2.jsonl", encode("new\n"));
    await snapshotter.snapshot({ ...target, agentSessionId: "a2" }, new AbortController().signal);
    expect((await store.listAgentState("s1")).map((f) => f.path)).toEqual([MANIFEST_KEY, fileKey("/state/sessions/a2.jsonl")]);
  });
});

describe("the write-back", () => {
  const signal = () => new AbortController().signal;

  it("writes a whole, current snapshot where the sandbox lacks the file, and never over a file it has", async () => {
    const { sandbox, store, snap } = setup();
    sandbox.files.set(FILE, encode("turn 1\nturn 2\n"));
    await turnEnd(store, 3);
    await snap();
    const fresh = new MemorySandbox();
    expect(await writeBack(fresh, store, target, signal)).toEqual({ written: { files: 1, bytes: 14 } });
    expect(decode(fresh.files.get(FILE))).toBe("turn 1\nturn 2\n");
    // The sandbox still has it (perhaps newer): left alone.
    sandbox.append(FILE, "turn 3 not yet copied\n");
    expect(await writeBack(sandbox, store, target, signal)).toEqual({ skipped: "present" });
    expect(decode(sandbox.files.get(FILE))).toContain("turn 3");
  });

  it("skips a snapshot older than the last completed turn (it would bring back an older session without a word)", async () => {
    const { sandbox, store, snap } = setup();
    sandbox.files.set(FILE, encode("turn 1\n"));
    await turnEnd(store, 3);
    await snap();
    await turnEnd(store, 9);
    expect(await writeBack(new MemorySandbox(), store, target, signal)).toEqual({ skipped: "stale" });
    expect(await writeBack(new MemorySandbox(), store, { ...target, agentSessionId: "other" }, signal)).toEqual({ skipped: "other-agent-session" });
    expect(await writeBack(new MemorySandbox(), store, { ...target, sessionId: "unknown" }, signal)).toEqual({ skipped: "none" });
  });
});
