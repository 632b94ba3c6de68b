import { INSERT_EVENTS, WRITE_SESSION } from "./persist-scripts.js";
import { Script } from "./scripts.js";

// The Lua scripts of session leases. A session's lease is a hash (holder, token, expires)
// that never expires by itself: an expired lease keeps its row, so the next token is the
// stored one + 1 and tokens never go back. Expiry is judged by the server's clock (TIME), so
// every client agrees on it whatever their own clocks say. Scripts run atomically: nothing
// else runs between reading the row and writing it.

/** Lua: the server's time in epoch milliseconds, and numbers written as integers. */
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(n) return string.format('%.0f', n) end
`;

/**
 * Take or renew the lease: free or expired, the stored token + 1 (1 when none); held by
 * ARGV[1] and live, renewed with the same token; held by another, refused.
 * KEYS: the lease hash. ARGV: holder, ttl (ms).
 * Returns `{1, holder, token, expires}` when acquired, `{0, holder, token, expires}` (the
 * holder's row) when refused.
 */
export const ACQUIRE_LEASE = new Script(`${CLOCK}
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token', 'expires')
local holder, token, expires = cur[1], tonumber(cur[2]), tonumber(cur[3])
if holder and expires > now and holder ~= ARGV[1] then
  return {0, holder, int(token), int(expires)}
end
local next = token or 0
if not holder or expires <= now then next = next + 1 end
local until_ms = now + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'token', int(next), 'expires', int(until_ms))
return {1, ARGV[1], int(next), int(until_ms)}
`);

/**
 * Extend the lease when ARGV[1] is its token.
 * KEYS: the lease hash. ARGV: token, ttl (ms).
 * Returns `{1, holder, token, expires}` when renewed; `{0, holder, token, expires}` (the
 * stored row) or `{0}` (none) when the token is not current.
 */
export const RENEW_LEASE = new Script(`${CLOCK}
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token', 'expires')
if not cur[1] then return {0} end
if cur[2] ~= ARGV[1] then return {0, cur[1], cur[2], cur[3]} end
local until_ms = now + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'expires', int(until_ms))
return {1, cur[1], cur[2], int(until_ms)}
`);

/**
 * Expire the lease (expires 0, holder and token kept) when ARGV[1] is its token.
 * KEYS: the lease hash. ARGV: token. Returns 1 when released, 0 otherwise.
 */
export const RELEASE_LEASE = new Script(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'expires', '0')
return 1
`);

/**
 * The fence put in front of a write script: the last ARGV is the writer's token, compared with
 * the lease hash in KEYS[3]; when it is not the stored token, the script returns
 * `{'lease-lost', holder, token, expires}` (or `{'lease-lost'}` when no lease is stored) before
 * writing anything. Otherwise the token is removed from ARGV and the write script runs as is.
 */
const FENCE = `
local fence_token = table.remove(ARGV)
local fence = redis.call('HMGET', KEYS[3], 'holder', 'token', 'expires')
if not fence[1] then return {'lease-lost'} end
if fence[2] ~= fence_token then return {'lease-lost', fence[1], fence[2], fence[3]} end
`;

/** {@link INSERT_EVENTS} behind the fence. KEYS: events, event-ids, lease. ARGV: as INSERT_EVENTS, then the token. */
export const INSERT_EVENTS_FENCED = new Script(FENCE + INSERT_EVENTS.source);

/** {@link WRITE_SESSION} behind the fence. KEYS: records, order, lease. ARGV: as WRITE_SESSION, then the token. */
export const WRITE_SESSION_FENCED = new Script(FENCE + WRITE_SESSION.source);

/** Whether a fenced script's reply is the fence's refusal. */
export function isLeaseLost(reply: unknown): reply is [string, ...string[]] {
  return Array.isArray(reply) && reply[0] === "lease-lost";
}
