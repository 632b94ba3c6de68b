import { setOwnProperty } from "../../src/persist/json-copy.js";

// How the Rivet test hosts pass driver arguments through an action: JSON text, with the two
// things JSON cannot say tagged, so the conformance suite's bad input (a cyclic payload, a
// bigint) reaches the driver inside the actor as it was built, and is refused there.

const REF = "$rivet-wire:ancestor";
const BIGINT = "$rivet-wire:bigint";

function toWire(value: unknown, ancestors: object[]): unknown {
  if (typeof value === "bigint") return { [BIGINT]: value.toString() };
  if (typeof value !== "object" || value === null) return value;
  const depth = ancestors.indexOf(value);
  if (depth >= 0) return { [REF]: ancestors.length - 1 - depth };
  ancestors.push(value);
  try {
    if (Array.isArray(value)) return value.map((item) => toWire(item, ancestors));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setOwnProperty(out, key, toWire((value as Record<string, unknown>)[key], ancestors));
    return out;
  } finally {
    ancestors.pop();
  }
}

function fromWire(value: unknown, ancestors: object[]): unknown {
  if (typeof value !== "object" || value === null) return value;
  const tags = Object.keys(value);
  if (tags.length === 1 && tags[0] === BIGINT) return BigInt((value as Record<string, string>)[BIGINT]!);
  if (tags.length === 1 && tags[0] === REF) return ancestors[ancestors.length - 1 - (value as Record<string, number>)[REF]!];
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = fromWire(value[i], ancestors);
    } else {
      for (const key of Object.keys(value)) setOwnProperty(value as Record<string, unknown>, key, fromWire((value as Record<string, unknown>)[key], ancestors));
    }
    return value;
  } finally {
    ancestors.pop();
  }
}

/** Arguments as JSON text, cycles and bigints tagged. */
export function encodeArgs(args: readonly unknown[]): string {
  return JSON.stringify(toWire(args, []));
}

/** The arguments back, cycles and bigints rebuilt. */
export function decodeArgs(json: string): unknown[] {
  return fromWire(JSON.parse(json), []) as unknown[];
}
