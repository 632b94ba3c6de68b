import { describe, expect, it } from "vitest";
import { copyJson, setOwnProperty } from "../../src/persist/json-copy.js";

describe("copyJson and own __proto__ keys", () => {
  it('keeps an own "__proto__" key (as JSON.parse makes it) as an own key, without touching any prototype', () => {
    const value = JSON.parse('{"a":{"__proto__":{"polluted":true}},"b":[{"__proto__":1}],"__proto__":null}') as Record<string, unknown>;
    const copy = copyJson(value, "test value", "value");
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    const a = copy.a as object;
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(a, "__proto__")?.value).toEqual({ polluted: true });
    expect(Object.hasOwn((copy.b as object[])[0]!, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("setOwnProperty defines an ordinary writable, enumerable own property for any key", () => {
    const target: Record<string, unknown> = {};
    setOwnProperty(target, "__proto__", { x: 1 });
    setOwnProperty(target, "plain", 2);
    expect(Object.keys(target)).toEqual(["__proto__", "plain"]);
    expect(Object.getOwnPropertyDescriptor(target, "__proto__")).toEqual({ value: { x: 1 }, writable: true, enumerable: true, configurable: true });
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
  });
});
