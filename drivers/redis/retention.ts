import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { eventJson } from "../shared/event-json.js";
import type { RedisClient } from "./connection.js";
import type { PersistKeys } from "./names.js";
import { Script } from "./scripts.js";

/**
 * Trim the start of a session's events, atomically.
 * KEYS: events, event-ids. ARGV: session id, beforeIndex[, marker id, marker index, marker JSON].
 * Reads the doomed members in pages of 1000 by score only to free their ids in the registry,
 * then removes them with one ZREMRANGEBYSCORE. Returns how many were removed, or -1 (nothing
 * changed) when the marker's id is taken.
 */
export const TRIM_EVENTS = new Script(`
local sid, before = ARGV[1], ARGV[2]
local marker = ARGV[3]
if marker and redis.call('HEXISTS', KEYS[2], marker) == 1 then return -1 end
local offset = 0
while true do
  local events = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. before, 'LIMIT', offset, 1000)
  if #events == 0 then break end
  local ids = {}
  for i, event in ipairs(events) do
    local stop = string.find(event, ',"eventIndex":', 1, true)
    ids[i] = cjson.decode(string.sub(event, 7, stop - 1))
  end
  redis.call('HDEL', KEYS[2], unpack(ids))
  offset = offset + #events
end
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. before)
if removed > 0 and marker then
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[5])
  redis.call('HSET', KEYS[2], marker, ARGV[4] .. ':' .. sid)
end
return removed
`);

/** The Redis driver's event trim: one Lua script (see {@link TRIM_EVENTS}). */
export async function trimEvents(
  client: RedisClient,
  keys: PersistKeys,
  sessionId: string,
  beforeIndex: number,
  marker: SessionEvent | undefined,
): Promise<number> {
  const args: (string | number)[] = [sessionId, beforeIndex];
  if (marker !== undefined) args.push(marker.id, marker.eventIndex, eventJson(marker, "marker"));
  const removed = Number(await TRIM_EVENTS.run(client, [keys.events(sessionId), keys.eventIds], args));
  if (removed < 0) throw new EventConflictError("id", sessionId, marker!.id, marker!.eventIndex);
  return removed;
}
