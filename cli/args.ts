import { InvalidArgumentError } from "commander";

// Argument parsers for commander: a bad value is a usage error (exit 2) naming the option.

/** A non-negative integer. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

/** A positive integer. */
export function positiveInt(value: string): number {
  const n = nonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

/** An integer of -1 or more (an `eventIndex` to read after; -1 is before the first). */
export function afterIndex(value: string): number {
  if (value === "-1") return -1;
  return nonNegativeInt(value);
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration such as `30d`, `12h`, `90m`, `45s` or `2w`, in milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+)([smhdw])$/.exec(value);
  if (!match) throw new InvalidArgumentError("must be a number and a unit: s, m, h, d or w (e.g. 30d)");
  return Number(match[1]) * UNITS[match[2]!]!;
}

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A size such as `500MB`, `2GiB` or `1000` (bytes), in bytes. */
export function byteSize(value: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value);
  const unit = match?.[2]?.toLowerCase() ?? "";
  if (!match || !(unit in BYTE_UNITS)) throw new InvalidArgumentError("must be a size such as 1000, 500MB or 2GiB");
  return Number(match[1]) * BYTE_UNITS[unit]!;
}
