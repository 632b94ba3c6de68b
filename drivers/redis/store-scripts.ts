import { Script } from "./scripts.js";

// The Lua scripts of the session store. Each is one atomic step over keys it is given in
// KEYS (see StoreKeys in names.ts), so a client's own ioredis keyPrefix applies to them all.

/**
 * Append a batch to a transcript.
 * KEYS: mtimes, entries, uuids, project sessions, project summaries, project activity, projects.
 * ARGV: projectKey, sessionId, subpath, "1" for the main transcript, the summary version the
 * caller folded from, the folded summary data (JSON), then per entry its uuid (`u<uuid>`, or
 * `-` when it has none) and its JSON.
 *
 * Which entries are stored follows `entriesToStore` of the session-store kit: those whose
 * uuid the transcript does not hold, and those without uuid; none when every uuid of the
 * batch is held (a replay). For the main transcript the batch is stored only when the summary
 * is still at the version the caller folded from and no uuid of the batch is held, so the
 * summary written is exactly the fold of the entries stored, whatever other writers do;
 * otherwise nothing is written and the answer is `{0, version, data or nil, flags}` (flag 1:
 * that entry's uuid is held) for the caller to pick the entries and fold again. Stored
 * entries stamp the transcript's mtime (server clock, ms, increasing per transcript).
 * Answer: `{1, mtime}` (the previous mtime when nothing was stored).
 */
export const APPEND = new Script(`
local n = (#ARGV - 6) / 2
local main = ARGV[4] == '1'
local flags = {}
local withUuid, held = 0, 0
for i = 0, n - 1 do
  local uuid = ARGV[7 + i * 2]
  flags[i + 1] = 0
  if uuid ~= '-' then
    withUuid = withUuid + 1
    if redis.call('SISMEMBER', KEYS[3], string.sub(uuid, 2)) == 1 then
      flags[i + 1] = 1
      held = held + 1
    end
  end
end
local version = 0
if main then
  local current = redis.call('HGET', KEYS[5], ARGV[2])
  local data = false
  if current then
    local a = string.find(current, ':', 1, true)
    local b = string.find(current, ':', a + 1, true)
    version = tonumber(string.sub(current, 1, a - 1))
    data = string.sub(current, b + 1)
  end
  if held > 0 or tostring(version) ~= ARGV[5] then return {0, version, data, flags} end
end
local previous = tonumber(redis.call('HGET', KEYS[1], ARGV[3]) or '0')
if held > 0 and held == withUuid then return {1, previous} end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local mtime = math.max(now, previous + 1)
for i = 0, n - 1 do
  local uuid = ARGV[7 + i * 2]
  if flags[i + 1] == 0 then
    if uuid ~= '-' then redis.call('SADD', KEYS[3], string.sub(uuid, 2)) end
    redis.call('RPUSH', KEYS[2], ARGV[8 + i * 2])
  end
end
redis.call('HSET', KEYS[1], ARGV[3], mtime)
if main then
  redis.call('HSET', KEYS[4], ARGV[2], mtime)
  redis.call('HSET', KEYS[5], ARGV[2], (version + 1) .. ':' .. mtime .. ':' .. ARGV[6])
end
redis.call('ZADD', KEYS[6], 'GT', mtime, ARGV[2])
redis.call('SADD', KEYS[7], ARGV[1])
return {1, mtime}
`);

/**
 * Delete a whole session: every transcript (their entries and uuids), its mtimes, and its
 * entries in the project's indexes; with a `before` bound, only when the session stored
 * nothing since (pruning). A project left without sessions leaves the list of projects.
 * KEYS: mtimes, project sessions, project summaries, project activity, projects, then the
 * entries and uuids keys of each subpath named in ARGV.
 * ARGV: sessionId, projectKey, before (epoch ms, or "" for no bound), the number of
 * subpaths, then the subpaths the caller found.
 * Answer: 1 when deleted, 0 when the session has other subpaths than those named (the caller
 * reads them again), -1 when it stored something since `before` (kept).
 */
export const DELETE_SESSION = new Script(`
if ARGV[3] ~= '' then
  local last = redis.call('ZSCORE', KEYS[4], ARGV[1])
  if last and tonumber(last) >= tonumber(ARGV[3]) then return -1 end
end
local count = tonumber(ARGV[4])
if redis.call('HLEN', KEYS[1]) ~= count then return 0 end
for i = 1, count do
  if redis.call('HEXISTS', KEYS[1], ARGV[4 + i]) == 0 then return 0 end
end
for i = 6, #KEYS do redis.call('UNLINK', KEYS[i]) end
redis.call('UNLINK', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('ZCARD', KEYS[4]) == 0 then redis.call('SREM', KEYS[5], ARGV[2]) end
return 1
`);

/**
 * Delete one subpath transcript; the session's last activity becomes the newest mtime left.
 * KEYS: mtimes, entries, uuids, project activity. ARGV: sessionId, subpath.
 */
export const DELETE_TRANSCRIPT = new Script(`
if redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('UNLINK', KEYS[2], KEYS[3])
local left = redis.call('HVALS', KEYS[1])
if #left == 0 then
  redis.call('ZREM', KEYS[4], ARGV[1])
else
  local newest = 0
  for _, mtime in ipairs(left) do newest = math.max(newest, tonumber(mtime)) end
  redis.call('ZADD', KEYS[4], newest, ARGV[1])
end
return 1
`);
