import { Script } from "./scripts.js";

// The Lua scripts of the Redis driver's agent state. Each is one atomic step. A file's bytes
// are one binary-safe string (grown with APPEND, which never rewrites what is stored); the
// session's agent state hash maps each path to `<size>:<updatedAt>`, the listing. Both live
// in the session's hash slot (`{s:<id>}`).

/**
 * Replace (offset 0) or append (offset = stored size) one file.
 * KEYS: the file's string, the session's agent state hash.
 * ARGV: path, offset, data (bytes), updatedAt.
 * Returns -1 when written; otherwise the stored size (0 when no file is stored), nothing written.
 */
export const APPEND_AGENT_STATE = new Script(`
local offset = tonumber(ARGV[2])
if offset == 0 then
  redis.call('SET', KEYS[1], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[1], string.len(ARGV[3]) .. ':' .. ARGV[4])
  return -1
end
local meta = redis.call('HGET', KEYS[2], ARGV[1])
local size = 0
if meta then size = tonumber(string.sub(meta, 1, string.find(meta, ':', 1, true) - 1)) end
if size ~= offset then return size end
if string.len(ARGV[3]) == 0 then return -1 end
local grown = redis.call('APPEND', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], grown .. ':' .. ARGV[4])
return -1
`);

/**
 * Delete one file. KEYS: the file's string, the session's agent state hash. ARGV: path.
 */
export const DELETE_AGENT_STATE_FILE = new Script(`
redis.call('UNLINK', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`);

/**
 * Delete every file of a session. The file keys are built from the listed paths (all in the
 * hash's slot, so they are on its node in a cluster too).
 * KEYS: the session's agent state hash. ARGV: the prefix of its file keys.
 */
export const DELETE_AGENT_STATE = new Script(`
local paths = redis.call('HKEYS', KEYS[1])
for i = 1, #paths, 500 do
  local batch = {}
  for j = i, math.min(i + 499, #paths) do batch[#batch + 1] = ARGV[1] .. paths[j] end
  redis.call('UNLINK', unpack(batch))
end
redis.call('UNLINK', KEYS[1])
return 1
`);
