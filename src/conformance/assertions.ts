import assert from "node:assert/strict";
import { setOwnProperty } from "../persist/json-copy.js";
import type { ListPage, SessionEvent, SessionPersistDriver } from "../persist/types.js";

// Errors are recognised by name and code rather than `instanceof`, so a driver built against
// another copy of this package (a CommonJS bundle, a second install) still passes.

/**
 * Drop `undefined`-valued keys recursively: a backend may return an absent optional field
 * either way. Every other own key is kept as an own key, `"__proto__"` included.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) setOwnProperty(out, k, withoutUndefined(v));
    return out as T;
  }
  return value;
}

/** Deep equality that ignores key order and `undefined`-valued keys, but not `null`. */
export function assertSameData(actual: unknown, expected: unknown, message?: string): void {
  assert.deepStrictEqual(withoutUndefined(actual), withoutUndefined(expected), message);
}

interface TypedError {
  name: string;
  code: string;
  message: string;
  reason?: string;
  issues?: readonly { path: string; message: string }[];
}

/** Await `run()` and check it rejects with the error class `name` and code `code`; returns the error. */
export async function expectRejection(run: () => Promise<unknown>, name: string, code: string): Promise<TypedError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a ${name}, but the call resolved`);
  assert.ok(caught instanceof Error, `expected a ${name}, got a non-Error: ${String(caught)}`);
  const error = caught as Error & Partial<TypedError>;
  assert.equal(error.name, name, `expected a ${name}, got ${error.name}: ${error.message}`);
  assert.equal(error.code, code);
  return error as TypedError;
}

/** Expect a PersistValidationError whose message names `field`. */
export async function expectValidationError(run: () => Promise<unknown>, field: string): Promise<TypedError> {
  const error = await expectRejection(run, "PersistValidationError", "persist.invalid_input");
  assert.ok(error.message.includes(field), `the validation error should name "${field}": ${error.message}`);
  return error;
}

/** Expect an EventConflictError with `reason`. */
export async function expectConflict(run: () => Promise<unknown>, reason: "id" | "eventIndex"): Promise<void> {
  const error = await expectRejection(run, "EventConflictError", "persist.conflict");
  assert.equal(error.reason, reason, `expected a conflict on ${reason}, got one on ${String(error.reason)}`);
}

/** Expect an InvalidCursorError. */
export async function expectInvalidCursor(run: () => Promise<unknown>): Promise<void> {
  await expectRejection(run, "InvalidCursorError", "persist.invalid_cursor");
}

/** Every event of a session, page by page (checking each page's shape on the way). */
export async function readAllEvents(driver: SessionPersistDriver, sessionId: string, limit?: number): Promise<SessionEvent[]> {
  const all: SessionEvent[] = [];
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 100_000, "listEvents never stopped returning a nextCursor");
    const page: ListPage<SessionEvent> = await driver.listEvents({ sessionId, cursor, limit });
    if (limit !== undefined) assert.ok(page.items.length <= limit, `a page holds at most ${limit} items`);
    all.push(...page.items);
    if (page.nextCursor === undefined) return all;
    assert.equal(typeof page.nextCursor, "string");
    assert.ok(page.items.length > 0, "a page with a nextCursor is not empty");
    cursor = page.nextCursor;
  }
}

/** Assert `events` are strictly ascending by `eventIndex`. */
export function assertAscending(events: readonly SessionEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(
      events[i - 1]!.eventIndex < events[i]!.eventIndex,
      `events out of order at position ${i}: ${events[i - 1]!.eventIndex} then ${events[i]!.eventIndex}`,
    );
  }
}

/** Insert events one by one, in the given order. */
export async function insertAll(driver: SessionPersistDriver, events: readonly SessionEvent[]): Promise<void> {
  for (const event of events) await driver.insertEvent(event.sessionId, event);
}

/** Fisher–Yates shuffle with a fixed seed, so failures reproduce. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = items.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
