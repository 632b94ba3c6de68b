import { describe, expect, it } from "vitest";
import { walkJson } from "../../src/persist/json-walk.js";
import { isWellFormedText, isWellFormedTextByRegex } from "../../src/persist/unicode.js";

/** The definition, one code unit at a time. */
function wellFormedByHand(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return false;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

describe("isWellFormedText", () => {
  it("the native check and the regex fallback agree with the definition on generated strings", () => {
    const units = [0x61, 0xe9, 0x65e5, 0xd7ff, 0xd800, 0xd83d, 0xdbff, 0xdc00, 0xde00, 0xdfff, 0xe000, 0xfffd];
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 5000; i++) {
      const text = String.fromCharCode(...Array.from({ length: next() % 8 }, () => units[next() % units.length]!));
      const expected = wellFormedByHand(text);
      expect([text, isWellFormedText(text), isWellFormedTextByRegex(text)]).toEqual([text, expected, expected]);
    }
  });
});

describe("walkJson", () => {
  it("returns the path of the first lone surrogate, in a value or in a key", () => {
    expect(walkJson({ a: [1, "ok", { b: "x\ud800" }] })).toEqual({ path: ["a", 2, "b"] });
    expect(walkJson({ a: { ["k\udc00"]: 1 } })).toEqual({ path: ["a"], key: "k\udc00" });
    expect(walkJson("\udfff")).toEqual({ path: [] });
    expect(walkJson({ a: "😀", b: [null, true, 1.5] })).toBeUndefined();
  });

  it("throws what JSON.stringify throws on: a bigint, a cycle", () => {
    expect(() => walkJson({ n: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => walkJson(cyclic)).toThrow(RangeError);
  });
});
