import { describe, expect, it } from "vitest";
import {
  compareCodePoints,
  compareSessionKeys,
  decodeEventCursor,
  decodeSessionCursor,
  encodeEventCursor,
  encodeSessionCursor,
  InvalidCursorError,
} from "../../src/persist/index.js";

const b64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

function invalid(run: () => unknown): InvalidCursorError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCursorError);
    return error as InvalidCursorError;
  }
  throw new Error("expected an InvalidCursorError");
}

describe("event cursors", () => {
  it("round-trip, including unicode session ids", () => {
    for (const sessionId of ["s", "ticket-42", "日本-😀-\uE000"]) {
      const cursor = encodeEventCursor({ sessionId, afterIndex: 41 });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeEventCursor(cursor, sessionId)).toEqual({ sessionId, afterIndex: 41 });
    }
  });

  it("refuse a cursor of another session, naming both", () => {
    const cursor = encodeEventCursor({ sessionId: "a", afterIndex: 3 });
    const error = invalid(() => decodeEventCursor(cursor, "b"));
    expect(error.message).toContain('"a"');
    expect(error.message).toContain('"b"');
    expect(error.cursor).toBe(cursor);
    expect(error.code).toBe("persist.invalid_cursor");
  });

  it("refuse a sessions cursor", () => {
    const error = invalid(() => decodeEventCursor(encodeSessionCursor({ afterCreatedAt: 1, afterId: "a" }), "a"));
    expect(error.message).toContain("sessions cursor cannot page events");
  });

  it.each([
    ["not base64url", "abc def"],
    ["padding", "WzEsImUiLCJhIiwzXQ=="],
    ["not JSON", b64url("{oops")],
    ["not an array", b64url('{"v":1}')],
    ["unknown version", b64url('[2,"e","a",3]')],
    ["fractional index", b64url('[1,"e","a",1.5]')],
    ["index below -1", b64url('[1,"e","a",-2]')],
    ["string index", b64url('[1,"e","a","3"]')],
    ["missing session", b64url('[1,"e"]')],
    ["truncated base64", "A"],
    ["invalid UTF-8", Buffer.from([0xff, 0xfe, 0x5b]).toString("base64url")],
  ])("refuse a malformed cursor (%s)", (_, cursor) => {
    invalid(() => decodeEventCursor(cursor, "a"));
  });
});

describe("session cursors", () => {
  it("round-trip", () => {
    const cursor = encodeSessionCursor({ afterCreatedAt: 1_700_000_000_123, afterId: "😀" });
    expect(decodeSessionCursor(cursor)).toEqual({ afterCreatedAt: 1_700_000_000_123, afterId: "😀" });
  });

  it("refuse an events cursor", () => {
    const error = invalid(() => decodeSessionCursor(encodeEventCursor({ sessionId: "a", afterIndex: 0 })));
    expect(error.message).toContain("events cursor cannot page sessions");
  });

  it.each([
    ["string createdAt", b64url('[1,"s","1","a"]')],
    ["numeric id", b64url('[1,"s",1,2]')],
    ["garbage", "!!!"],
  ])("refuse a malformed cursor (%s)", (_, cursor) => {
    invalid(() => decodeSessionCursor(cursor));
  });
});

describe("code-point order", () => {
  it("matches the UTF-8 byte order, unlike JavaScript's UTF-16 comparison", () => {
    const ids = ["b", "a", "😀", "\uFFFD", "\uE000", "é", "ab", "", "A", "\u{10FFFF}", "\uD7FF"];
    const byCodePoint = ids.slice().sort(compareCodePoints);
    const byUtf8 = ids.slice().sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(byCodePoint).toEqual(byUtf8);
    expect(byCodePoint).toEqual(["", "A", "a", "ab", "b", "é", "\uD7FF", "\uE000", "\uFFFD", "😀", "\u{10FFFF}"]);
    // The plain comparison gets this pair wrong: a surrogate (0xD83D) sorts before 0xFFFD.
    expect("😀" < "\uFFFD").toBe(true);
    expect(compareCodePoints("😀", "\uFFFD")).toBeGreaterThan(0);
  });

  it("is zero only for equal strings, and a prefix sorts first", () => {
    expect(compareCodePoints("abc", "abc")).toBe(0);
    expect(compareCodePoints("ab", "abc")).toBeLessThan(0);
    expect(compareCodePoints("abc", "ab")).toBeGreaterThan(0);
  });

  it("orders session keys by createdAt first, then id", () => {
    const keys = [
      { createdAt: 2, id: "a" },
      { createdAt: 1, id: "z" },
      { createdAt: 2, id: "😀" },
      { createdAt: 2, id: "\uFFFD" },
    ];
    expect(keys.sort(compareSessionKeys).map((k) => `${k.createdAt}:${k.id}`)).toEqual(["1:z", "2:a", "2:\uFFFD", "2:😀"]);
  });
});
