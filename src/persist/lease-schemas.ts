import { z } from "zod";
import { PersistValidationError, type ValidationIssue } from "./errors.js";
import { MAX_LEASE_HOLDER_LENGTH, MAX_LEASE_TTL_MS, type SessionLease } from "./leases.js";
import { isWellFormedText, LONE_SURROGATE_MESSAGE } from "./unicode.js";

// Validation of what the lease methods are handed (holder ids, durations, leases), apart from
// the lease types so that the app entry's declarations never reference zod.

const sessionId = z
  .string()
  .min(1, "must be a non-empty string")
  .max(1024, "must be at most 1024 characters")
  .refine(isWellFormedText, LONE_SURROGATE_MESSAGE);
const holder = z
  .string()
  .min(1, "must be a non-empty string")
  .max(MAX_LEASE_HOLDER_LENGTH, `must be at most ${MAX_LEASE_HOLDER_LENGTH} characters`)
  .refine(isWellFormedText, LONE_SURROGATE_MESSAGE);
const ttlMs = z
  .number()
  .int("must be an integer")
  .positive("must be at least 1")
  .max(MAX_LEASE_TTL_MS, `must be at most ${MAX_LEASE_TTL_MS} (24 hours)`);

/** Schema of a {@link SessionLease} handed back to a driver. */
export const sessionLeaseSchema = z.object({
  sessionId,
  holder,
  token: z.number().int("must be an integer").positive("must be at least 1").max(Number.MAX_SAFE_INTEGER),
  expiresAt: z.number().finite(),
});

function issues(path: string, error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({
    path: [path, ...i.path.map(String)].join("."),
    message: i.message,
  }));
}

/** Validate a lease holder id. */
export function parseLeaseHolder(value: unknown, path = "holder"): string {
  const result = holder.safeParse(value);
  if (!result.success) throw new PersistValidationError("lease holder", issues(path, result.error));
  return result.data;
}

/** Validate a lease duration: a positive integer of milliseconds, at most 24 hours. */
export function parseLeaseTtl(value: unknown, path = "ttlMs"): number {
  const result = ttlMs.safeParse(value);
  if (!result.success) throw new PersistValidationError("lease duration", issues(path, result.error));
  return result.data;
}

/** Validate a lease handed back to a driver. Returns a copy holding only the lease's own fields. */
export function parseSessionLease(value: unknown, path = "lease"): SessionLease {
  const result = sessionLeaseSchema.safeParse(value);
  if (!result.success) throw new PersistValidationError("session lease", issues(path, result.error));
  const { sessionId: id, holder: who, token, expiresAt } = result.data;
  return { sessionId: id, holder: who, token, expiresAt };
}
