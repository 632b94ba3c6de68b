// The CLI's store URLs and its canonical export text, in process (the spawned CLI is tested
// end to end in test/e2e/cli-*.test.ts).
import { describe, expect, it } from "vitest";
import { CliError } from "../../cli/errors.js";
import { canonicalJson, eventText, SessionChecksum } from "../../cli/export-format.js";
import { parseStoreUrl } from "../../cli/store-url.js";
import type { SessionEvent } from "../../src/persist/types.js";

function refusal(url: string): CliError {
  try {
    parseStoreUrl(url);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error(`${url} was accepted`);
}

describe("store URLs", () => {
  it("reads every form and its options", () => {
    expect(parseStoreUrl("sqlite:./x.db")).toEqual({ kind: "sqlite", display: "sqlite:./x.db", filename: "./x.db" });
    expect(parseStoreUrl("sqlite:///abs/x%20y.db?prefix=app_")).toMatchObject({ filename: "/abs/x y.db", tablePrefix: "app_" });
    expect(parseStoreUrl("file:./dir")).toMatchObject({ kind: "file", directory: "./dir", fsync: "always" });
    expect(parseStoreUrl("file:/d?fsync=never")).toMatchObject({ directory: "/d", fsync: "never" });
    expect(parseStoreUrl("postgres://u:pw@h:5/db?schema=s&prefix=p_&notify=true&sslmode=disable")).toEqual({
      kind: "postgres",
      display: "postgres://***@h:5/db?schema=s&prefix=p_&notify=true&sslmode=disable",
      connectionString: "postgres://u:pw@h:5/db?sslmode=disable",
      schema: "s",
      tablePrefix: "p_",
      notify: true,
    });
    expect(parseStoreUrl("postgresql://h/db")).toMatchObject({ kind: "postgres", notify: false });
    expect(parseStoreUrl("redis://:pw@h:6379/2?prefix=app%3A")).toEqual({ kind: "redis", display: "redis://***@h:6379/2?prefix=app%3A", url: "redis://:pw@h:6379/2", keyPrefix: "app:" });
    expect(parseStoreUrl("rediss://h")).toMatchObject({ kind: "redis" });
    // The server clients' own query parameters pass through to them.
    expect(parseStoreUrl("redis://h?family=6&prefix=a")).toMatchObject({ url: "redis://h?family=6", keyPrefix: "a" });
  });

  it("refuses what it cannot open with the reason, as a usage error, credentials masked", () => {
    const cases: [string, string][] = [
      ["indexeddb:app", "inside a browser"],
      ["idb:app", "inside a browser"],
      ["memory:", "empty when the command starts"],
      ["mongodb://u:pw@h/db", 'unknown scheme "mongodb:"'],
      ["./x.db", "no scheme"],
      ["sqlite:", "no path"],
      ["sqlite:?prefix=a", "no path"],
      ["file:./d?fsync=maybe", "always or never"],
      ["sqlite:x.db?prefix=a&prefix=b", "given twice"],
      ["sqlite:x.db?schema=a", 'unknown option "schema"'],
      ["postgres://h/db?notify=perhaps", "true or false"],
      ["postgres://u:pw@", "not a valid URL"],
      ["redis://", "no host"],
      ["sqlite:%E0%A4%A", "malformed %-escape"],
    ];
    for (const [url, why] of cases) {
      const error = refusal(url);
      expect(error.message, url).toContain(why);
      expect(error.code).toBe("cli.bad_store_url");
      expect(error.exitCode).toBe(2);
      expect(error.message).not.toContain("pw@");
    }
  });
});

describe("canonical export text", () => {
  it("sorts object keys by code point at every depth, keeps array order, drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, "\u{1F600}": 0, "\uFFFF": 1, é: 2 })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"é":2,"\uFFFF":1,"\u{1F600}":0}',
    );
  });

  it("is the same text for the same event whatever its key order; exact numbers and unicode", () => {
    const event: SessionEvent = {
      id: "e1",
      eventIndex: 0,
      sessionId: "s",
      createdAt: 1_700_000_000_000.25,
      connectionId: "c",
      sender: "agent",
      payload: { jsonrpc: "2.0", method: "x", params: { n: 5e-324, big: 1e300, s: "line\u2028sep \u{1F680} \"q\"" } } as never,
    };
    const reordered = { payload: { params: { s: "line\u2028sep \u{1F680} \"q\"", big: 1e300, n: 5e-324 }, method: "x", jsonrpc: "2.0" }, sender: "agent", connectionId: "c", createdAt: 1_700_000_000_000.25, sessionId: "s", eventIndex: 0, id: "e1" } as unknown as SessionEvent;
    expect(eventText(reordered)).toBe(eventText(event));
    const back = JSON.parse(eventText(event)) as SessionEvent;
    expect(back).toEqual(event);
    const a = new SessionChecksum();
    a.add([event]);
    const b = new SessionChecksum();
    b.add([reordered]);
    expect(a.digest()).toEqual(b.digest());
    const c = new SessionChecksum();
    c.add([{ ...event, createdAt: event.createdAt + 1 }]);
    expect(c.digest().sha256).not.toBe(a.digest().sha256);
  });
});
