import { setOwnProperty } from "../../src/persist/json-copy.js";

// How the Rivet test hosts pass driver arguments and results through an action: JSON text,
// with the three things JSON cannot say tagged, so the conformance suite's bad input (a cyclic
// payload, a bigint) reaches the driver inside the actor as it was built, and is refused
// there, and agent state bytes cross as a Uint8Array both ways (base64 text: RivetKit's CBOR
// would carry them, but inside the JSON text they would become an object of numbers). Other
// typed arrays, ArrayBuffers and DataViews are not tagged: they arrive as plain objects, which
// the driver refuses as it refuses them.

const REF = "$rivet-wire:ancestor";
const BIGINT = "$rivet-wire:bigint";
const BYTES = "$rivet-wire:bytes";

const isUint8Array = (value: object): value is Uint8Array =>
  value instanceof Uint8Array || Object.prototype.toString.call(value) === "[object Uint8Array]";

function toWire(value: unknown, ancestors: object[]): unknown {
  if (typeof value === "bigint") return { [BIGINT]: value.toString() };
  if (typeof value === "object" && value !== null && isUint8Array(value)) {
    return { [BYTES]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
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
  if (tags.length === 1 && tags[0] === BYTES) return new Uint8Array(Buffer.from((value as Record<string, string>)[BYTES]!, "base64"));
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

/** A value (a call's result) as JSON text, tagged as {@link encodeArgs} tags. */
export function encodeValue(value: unknown): string {
  return JSON.stringify(toWire(value, []));
}

/** The value back from {@link encodeValue}'s text. */
export function decodeValue(json: string): unknown {
  return fromWire(JSON.parse(json), []);
}

/** Arguments as JSON text, cycles, bigints and byte arrays tagged. */
export function encodeArgs(args: readonly unknown[]): string {
  return JSON.stringify(toWire(args, []));
}

/** The arguments back, cycles, bigints and byte arrays rebuilt. */
export function decodeArgs(json: string): unknown[] {
  return fromWire(JSON.parse(json), []) as unknown[];
}
