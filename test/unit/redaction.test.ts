import { describe, expect, it } from "vitest";
import { SQLiteSessionStore } from "../../drivers/sqlite.js";
import { SessionRecorder } from "../../src/history/recorder.js";
import {
  buildReplay,
  InMemorySessionPersistDriver,
  InvalidOptionsError,
  isWithheldEnvelope,
  redactingSessionStore,
  redactSecrets,
  RedactionFailedError,
  SandboxAgent,
  SessionStoreRedactionError,
  type JsonRpcEnvelope,
  type SessionEvent,
  withheldEnvelope,
} from "../../src/index.js";
import { PLANTED, textWithSecrets } from "../support/secrets.js";

const redact = redactSecrets();

describe("redactSecrets", () => {
  it("replaces every built-in kind, keeps the labels around them and the text between", () => {
    const out = redact(textWithSecrets());
    for (const [name, secret] of Object.entries(PLANTED)) expect(out, name).not.toContain(secret);
    for (const kind of ["anthropic_key", "openai_key", "aws_access_key", "aws_secret_key", "github_token", "slack_token", "google_api_key", "jwt", "bearer_token", "authorization", "url_password", "private_key"]) {
      expect(out).toContain(`[REDACTED:${kind}]`);
    }
    expect(out).toContain("aws_secret_access_key = [REDACTED:aws_secret_key]");
    expect(out).toContain('"Authorization: Bearer [REDACTED:bearer_token]"');
    expect(out).toContain("Authorization: Basic [REDACTED:authorization]");
    expect(out).toContain("postgres://app:[REDACTED:url_password]@db.internal:5432/app");
    expect(out).toContain(`anthropic [REDACTED:anthropic_key]\nopenai=[REDACTED:openai_key] legacy [REDACTED:openai_key]`);
  });

  it("leaves ordinary text alone", () => {
    const text = "ask the task-ant-colony skeleton about AKIA codes, https://example.com/a:b@c, a Bearer of news, sk-short, eyJ alone";
    expect(redact(text)).toBe(text);
  });

  it("walks every string of a JSON value, copies only what changed, never mutates, keeps keys unless asked", () => {
    const shared = { untouched: ["a", 1, null, true] };
    const value = { [PLANTED.github]: "key as key", list: [{ t: `x ${PLANTED.slack}` }], shared, n: 3 };
    const frozen = structuredClone(value);
    const out = redact(value);
    expect(value).toEqual(frozen);
    expect(out.shared).toBe(shared);
    expect(out.list[0]!.t).toBe("x [REDACTED:slack_token]");
    expect(Object.keys(out)).toContain(PLANTED.github);
    const withKeys = redactSecrets({ keys: true })(value);
    expect(Object.keys(withKeys)).toContain("[REDACTED:github_token]");
    const plain = { a: "nothing here", b: [1, 2] };
    expect(redact(plain)).toBe(plain);
  });

  it("takes extra patterns (with or without the g flag), a custom replacement, and can leave the built-ins out", () => {
    const seen: string[] = [];
    const custom = redactSecrets({
      extra: [/\bACME-[0-9a-f]{8}\b/, { kind: "custom", pattern: /\bemployee #\d+/g }],
      replace: (match, kind) => {
        seen.push(kind);
        return `<${kind}:${match.length}>`;
      },
    });
    expect(custom(`ACME-0123abcd and ACME-deadbeef, employee #42, ${PLANTED.google}`)).toBe("<custom:13> and <custom:13>, <custom:12>, <google_api_key:39>");
    expect(seen).toEqual(["custom", "custom", "custom", "google_api_key"]);
    expect(redactSecrets({ builtins: false, extra: [/x/] })(PLANTED.github)).toBe(PLANTED.github);
  });

  it("keeps text well-formed when a pattern cuts a surrogate pair", () => {
    const out = redactSecrets({ builtins: false, extra: [/\ud83d/] })("a \ud83d\ude00 b");
    expect((out as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true);
    expect(out).toBe("a [REDACTED:custom]\ufffd b");
  });
});

describe("the recorder's redact hook", () => {
  const prompt = (text: string): JsonRpcEnvelope => ({ jsonrpc: "2.0", id: 7, method: "session/prompt", params: { sessionId: "a", prompt: [{ type: "text", text }] } }) as JsonRpcEnvelope;

  it("stores the redacted envelope while listeners get the original; jsonrpc, id and method stay", async () => {
    const driver = new InMemorySessionPersistDriver();
    const seen: SessionEvent[] = [];
    const sneaky = (payload: JsonRpcEnvelope) => ({ ...redact(payload), id: "changed", method: "changed/too" }) as JsonRpcEnvelope;
    const recorder = new SessionRecorder("s", { driver, onEvent: (e) => seen.push(e), redact: sneaky });
    await recorder.ready();
    recorder.record({ connectionId: "c", sender: "client", payload: prompt(`use ${PLANTED.anthropic}`) });
    await recorder.flush();
    expect(JSON.stringify(seen[0]!.payload)).toContain(PLANTED.anthropic);
    const [stored] = (await driver.listEvents({ sessionId: "s" })).items;
    expect(stored!.payload).toEqual(prompt("use [REDACTED:anthropic_key]"));
    expect(stored!.id).toBe(seen[0]!.id);
  });

  it("a hook that throws: the content is withheld, never stored in clear, and a RedactionFailedError is reported", async () => {
    const driver = new InMemorySessionPersistDriver();
    const failures: RedactionFailedError[] = [];
    const recorder = new SessionRecorder("s", {
      driver,
      redact: (payload) => {
        if (JSON.stringify(payload).includes("boom")) throw new Error("redactor broke");
        return payload;
      },
      onRedactionError: (error) => failures.push(error),
    });
    await recorder.ready();
    recorder.record({ connectionId: "c", sender: "client", payload: prompt(`boom ${PLANTED.github}`) });
    recorder.record({ connectionId: "c", sender: "agent", payload: { jsonrpc: "2.0", id: 7, result: { text: "boom" } } as JsonRpcEnvelope });
    recorder.record({ connectionId: "c", sender: "agent", payload: { jsonrpc: "2.0", id: 8, error: { code: -32000, message: "boom" } } as JsonRpcEnvelope });
    recorder.record({ connectionId: "c", sender: "agent", payload: { jsonrpc: "2.0", id: 9, result: { fine: true } } as JsonRpcEnvelope });
    await recorder.flush();
    const stored = (await driver.listEvents({ sessionId: "s" })).items;
    expect(stored.map((e) => e.eventIndex)).toEqual([0, 1, 2, 3]);
    expect(JSON.stringify(stored)).not.toContain("boom");
    expect(stored.map((e) => isWithheldEnvelope(e.payload))).toEqual([true, true, true, false]);
    expect(stored[0]!.payload).toMatchObject({ jsonrpc: "2.0", id: 7, method: "session/prompt" });
    expect(stored[1]!.payload).toMatchObject({ id: 7, result: {} });
    expect(stored[2]!.payload).toMatchObject({ id: 8, error: { code: -32000 } });
    expect(failures.map((f) => [f.code, f.eventIndex])).toEqual([["redaction.failed", 0], ["redaction.failed", 1], ["redaction.failed", 2]]);
    expect(failures[0]!.message).toContain("withheld");
  });

  const chunk = (text: string, kind = "agent_message_chunk"): JsonRpcEnvelope =>
    ({ jsonrpc: "2.0", method: "session/update", params: { sessionId: "a", update: { sessionUpdate: kind, content: { type: "text", text } } } }) as JsonRpcEnvelope;
  const chunkText = (e: SessionEvent) => (e.payload as unknown as { params?: { update: { content: { text: string } } } }).params?.update.content.text ?? "";
  /** Every piece of `secret` of 6 characters: none may be in what was stored. */
  const pieces = (secret: string) => Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6));

  it("redacts a secret an agent streamed over several chunks: each chunk stays its own event, no piece of the secret is stored", async () => {
    const driver = new InMemorySessionPersistDriver();
    const seen: string[] = [];
    const recorder = new SessionRecorder("s", { driver, redact, onEvent: (e) => seen.push(chunkText(e)) });
    await recorder.ready();
    const text = `echo: the key is ${PLANTED.anthropic} and the token Bearer ${PLANTED.bearer} ok`;
    // Cut every few characters, as real agents stream.
    const cuts = text.match(/.{1,7}/gs)!;
    for (const part of cuts) recorder.record({ connectionId: "c", sender: "agent", payload: chunk(part) });
    recorder.record({ connectionId: "c", sender: "agent", payload: { jsonrpc: "2.0", id: 3, result: { stopReason: "end_turn" } } as JsonRpcEnvelope });
    await recorder.flush();
    const stored = (await driver.listEvents({ sessionId: "s", limit: 1000 })).items;
    expect(stored.map((e) => e.eventIndex)).toEqual(cuts.map((_, i) => i).concat(cuts.length));
    const storedText = stored.slice(0, -1).map(chunkText).join("");
    expect(storedText).toBe("echo: the key is [REDACTED:anthropic_key] and the token Bearer [REDACTED:bearer_token] ok");
    const raw = JSON.stringify(stored);
    for (const piece of [...pieces(PLANTED.anthropic), ...pieces(PLANTED.bearer)]) expect(raw).not.toContain(piece);
    expect(seen.join("")).toBe(text);
  });

  it("a long stream is released in parts, and a secret across a release point is still redacted whole; flush() releases what is held", async () => {
    const driver = new InMemorySessionPersistDriver({ maxEventsPerSession: 100_000 });
    const recorder = new SessionRecorder("s", { driver, redact });
    await recorder.ready();
    const text = `${"lorem ipsum ".repeat(700)}secret ${PLANTED.github} end ${"dolor sit ".repeat(900)} and ${PLANTED.slack}`;
    for (const part of text.match(/.{1,5}/gs)!) recorder.record({ connectionId: "c", sender: "agent", payload: chunk(part) });
    // Part of the stream was written before its end (memory stays bounded)...
    await new Promise((resolve) => setTimeout(resolve, 50));
    const early = (await driver.listEvents({ sessionId: "s", limit: 1000 })).items.length;
    expect(early).toBeGreaterThan(0);
    expect(recorder.pending).toBeGreaterThan(0);
    // ...and flush() stores the rest.
    await recorder.flush();
    const stored: SessionEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await driver.listEvents({ sessionId: "s", cursor, limit: 1000 });
      stored.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(stored.map(chunkText).join("")).toBe(text.replace(PLANTED.github, "[REDACTED:github_token]").replace(PLANTED.slack, "[REDACTED:slack_token]"));
    expect(recorder.pending).toBe(0);
  });

  it("chunks of different kinds or senders are separate streams; a hook without findSecrets redacts chunk by chunk", async () => {
    const driver = new InMemorySessionPersistDriver();
    const recorder = new SessionRecorder("s", { driver, redact });
    await recorder.ready();
    const [a, b] = [PLANTED.openai.slice(0, 20), PLANTED.openai.slice(20)];
    recorder.record({ connectionId: "c", sender: "agent", payload: chunk(a) });
    recorder.record({ connectionId: "c", sender: "agent", payload: chunk(b, "agent_thought_chunk") });
    await recorder.flush();
    expect((await driver.listEvents({ sessionId: "s" })).items.map(chunkText)).toEqual([a, b]);
    const perEvent = new SessionRecorder("t", { driver, redact: (p) => redact(p) });
    await perEvent.ready();
    perEvent.record({ connectionId: "c", sender: "agent", payload: chunk(`x ${PLANTED.google}`) });
    await perEvent.flush();
    expect((await driver.listEvents({ sessionId: "t" })).items.map(chunkText)).toEqual(["x [REDACTED:google_api_key]"]);
  });

  it("a findSecrets that throws withholds the held chunks, each reported", async () => {
    const driver = new InMemorySessionPersistDriver();
    const failures: RedactionFailedError[] = [];
    const hook = Object.assign((p: JsonRpcEnvelope) => redact(p), {
      findSecrets: () => {
        throw new Error("scanner broke");
      },
    });
    const recorder = new SessionRecorder("s", { driver, redact: hook, onRedactionError: (e) => failures.push(e) });
    await recorder.ready();
    for (const part of ["key sk-ant-api03-", "Zq7xT1mN4bV8cR2pL6wK9y"]) recorder.record({ connectionId: "c", sender: "agent", payload: chunk(part) });
    await recorder.flush();
    const stored = (await driver.listEvents({ sessionId: "s" })).items;
    expect(stored.map((e) => isWithheldEnvelope(e.payload))).toEqual([true, true]);
    expect(JSON.stringify(stored)).not.toContain("Zq7x");
    expect(failures.map((f) => f.eventIndex)).toEqual([0, 1]);
  });

  it("replay reads a history with withheld events: their content is left out, the rest is replayed", () => {
    const mk = (i: number, sender: "client" | "agent", payload: unknown): SessionEvent => ({ id: `e${i}`, eventIndex: i, sessionId: "s", createdAt: i, connectionId: "c", sender, payload: payload as JsonRpcEnvelope });
    const events = [
      mk(0, "client", prompt("hello there")),
      mk(1, "agent", withheldEnvelope(chunk("secret reply"))),
      mk(2, "agent", { jsonrpc: "2.0", id: 7, result: { stopReason: "end_turn" } }),
      mk(3, "client", withheldEnvelope(prompt("secret prompt"))),
      mk(4, "agent", chunk("hi back")),
      mk(5, "agent", withheldEnvelope({ jsonrpc: "2.0", id: 7, result: { stopReason: "end_turn" } } as JsonRpcEnvelope)),
    ];
    const replay = buildReplay(events);
    expect(replay?.entries.map((e) => [e.kind, "text" in e ? e.text : undefined])).toEqual([["user", "hello there"], ["assistant", "hi back"]]);
    expect(replay?.text).not.toContain("secret");
  });

  it("connect refuses a redact option that is not a function", () => {
    expect(() => new SandboxAgent({ baseUrl: "http://127.0.0.1:1", redact: "yes" as never })).toThrow(InvalidOptionsError);
    expect(() => new SandboxAgent({ baseUrl: "http://127.0.0.1:1", redcat: redact } as never)).toThrow(/did you mean "redact"/);
  });
});

describe("redactingSessionStore", () => {
  const key = { projectKey: "p", sessionId: "s" };

  it("stores appended entries redacted, structural fields as given; reads and listings pass through", async () => {
    const inner = new SQLiteSessionStore({ filename: ":memory:" });
    const store = redactingSessionStore(inner, (entry) => redact(entry));
    const entry = { type: "user", uuid: "22222222-2222-4222-8222-222222222222", timestamp: "2026-11-30T10:00:00.000Z", message: { role: "user", content: `key ${PLANTED.openai}` } };
    await store.append(key, [entry]);
    expect(entry.message.content).toContain(PLANTED.openai);
    expect(await store.load(key)).toEqual([{ ...entry, message: { role: "user", content: "key [REDACTED:openai_key]" } }]);
    expect((await store.listSessions!("p")).map((s) => s.sessionId)).toEqual(["s"]);
    expect(typeof store.listSessionSummaries).toBe("function");
    expect(JSON.stringify(await store.listSessionSummaries!("p"))).not.toContain(PLANTED.openai);
    await store.close!();
  });

  it("a hook that throws stores nothing of the batch and rejects with SessionStoreRedactionError", async () => {
    const inner = new SQLiteSessionStore({ filename: ":memory:" });
    const store = redactingSessionStore(inner, (entry) => {
      if (entry.type === "bad") throw new Error("nope");
      return entry;
    });
    await expect(store.append(key, [{ type: "user", uuid: "33333333-3333-4333-8333-333333333333" }, { type: "bad" }])).rejects.toBeInstanceOf(SessionStoreRedactionError);
    expect(await inner.load(key)).toBeNull();
    await inner.close();
  });
});
