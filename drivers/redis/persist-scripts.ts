import { Script } from "./scripts.js";

// The Lua scripts of the session persistence driver. Each is one atomic step; the keys they
// touch are declared in KEYS (see names.ts for what each holds).

/**
 * Insert a batch of events, all or nothing.
 * KEYS: events (of the session), event-ids (the registry).
 * ARGV: sessionId, then (id, eventIndex, JSON) for each event.
 * Returns `{}` when stored; otherwise, for each refused event, its position in the batch
 * and what holds its key: the registry entry of its id (`<eventIndex>:<session id>`), or
 * `""` when only its `eventIndex` is taken. Nothing is written then.
 */
export const INSERT_EVENTS = new Script(`
local sid = ARGV[1]
local n = (#ARGV - 1) / 3
local clashes = {}
for i = 0, n - 1 do
  local id, idx = ARGV[2 + i * 3], ARGV[3 + i * 3]
  local owner = redis.call('HGET', KEYS[2], id)
  if owner then
    clashes[#clashes + 1] = i
    clashes[#clashes + 1] = owner
  elseif redis.call('ZCOUNT', KEYS[1], idx, idx) > 0 then
    clashes[#clashes + 1] = i
    clashes[#clashes + 1] = ''
  end
end
if #clashes > 0 then return clashes end
for i = 0, n - 1 do
  local id, idx = ARGV[2 + i * 3], ARGV[3 + i * 3]
  redis.call('ZADD', KEYS[1], idx, ARGV[4 + i * 3])
  redis.call('HSET', KEYS[2], id, idx .. ':' .. sid)
end
return {}
`);

/**
 * Write a record: replace it (mode "put") or store it only when its id is free (mode "add").
 * KEYS: records, order. ARGV: id, createdAt key, stored value, mode.
 * Returns 1 when written, 0 when mode "add" found the id taken.
 */
export const WRITE_SESSION = new Script(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  if ARGV[4] == 'add' then return 0 end
  redis.call('ZREM', KEYS[2], string.sub(old, 1, 16) .. ARGV[1])
end
redis.call('ZADD', KEYS[2], 0, ARGV[2] .. ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/**
 * One page of records in listing order, after a lex bound.
 * KEYS: order, records. ARGV: the lex lower bound ("-" or "(<member>"), limit.
 * Returns the stored values, in order.
 */
export const SCAN_SESSIONS = new Script(`
local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
if #members == 0 then return {} end
local ids = {}
for i, member in ipairs(members) do ids[i] = string.sub(member, 17) end
return redis.call('HMGET', KEYS[2], unpack(ids))
`);

/**
 * Delete a session: its record and listing entry, its events, and its event ids in the
 * registry, in one step. The ids are read from the events themselves, 1,000 at a time: each
 * event's JSON starts with `{"id":<id as a JSON string>,"eventIndex":` (see eventJson), and a
 * JSON string cannot hold `,"eventIndex":` unescaped, so the id ends where that first appears.
 * KEYS: events, records, order, event-ids. ARGV: session id.
 */
export const DELETE_SESSION = new Script(`
local record = redis.call('HGET', KEYS[2], ARGV[1])
if record then
  redis.call('ZREM', KEYS[3], string.sub(record, 1, 16) .. ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
local total = redis.call('ZCARD', KEYS[1])
for start = 0, total - 1, 1000 do
  local events = redis.call('ZRANGE', KEYS[1], start, start + 999)
  local ids = {}
  for i, event in ipairs(events) do
    local stop = string.find(event, ',"eventIndex":', 1, true)
    ids[i] = cjson.decode(string.sub(event, 7, stop - 1))
  end
  if #ids > 0 then redis.call('HDEL', KEYS[4], unpack(ids)) end
end
redis.call('UNLINK', KEYS[1])
return 1
`);
