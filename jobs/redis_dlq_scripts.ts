/**
 * The Lua scripts of the Redis job store's dead letters (`redis_store.ts`):
 * the sorted set `dlq` holds every job that died, by when it last did, and
 * keeps it there when it is retried; a job's `dlq` field marks it retried or
 * discarded. Listings filter inside Redis, so runs never cross the network
 * for letters a filter drops.
 */
import { MOVE, P } from "./redis_scripts.ts";

/** ARGV[1]: a dead job, marked discarded; 0 when it is not dead. */
export const DISCARD = `
local key = '${P}job:' .. ARGV[1]
if redis.call('HGET', key, 'status') ~= 'dead' then return 0 end
redis.call('HSET', key, 'dlq', 'discarded')
return 1
`;

// A dead letter's state from its job's status and mark.
const STATE = `
local function state_of(status, mark)
  if mark == 'retried' or mark == 'discarded' then return mark end
  if status == 'dead' then return 'pending' end
  return nil
end
`;

/**
 * ARGV: state, tenant part of the owner (see owner.ts), language, text
 * (lower case), from, to ('' for any), offset, limit. Returns the number
 * matching, then one row per letter of the page, newest death first.
 */
export const LIST = STATE + `
local state, tenant, language, text = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local from = ARGV[5] == '' and '-inf' or ARGV[5]
local to = ARGV[6] == '' and '+inf' or ARGV[6]
local offset, limit = tonumber(ARGV[7]), tonumber(ARGV[8])
local total = 0
local rows = {}
for _, id in ipairs(redis.call('ZREVRANGEBYSCORE', '${P}dlq', to, from)) do
  local f = redis.call('HMGET', '${P}job:' .. id, 'id', 'owner', 'status', 'dlq', 'attempts',
    'created_at', 'started_at', 'finished_at', 'error', 'dead_at', 'run')
  local s = f[1] and state_of(f[3], f[4])
  local ok = s ~= nil and (state == '' or s == state)
  if ok and tenant ~= '' then
    local owner = f[2]
    local slash = string.find(owner, '/', 1, true)
    ok = (slash and string.sub(owner, slash + 1) or owner) == tenant
  end
  local request = nil
  if ok and (language ~= '' or text ~= '' or (total >= offset and #rows < limit)) then
    request = cjson.decode(f[11]).request
  end
  if ok and language ~= '' then ok = request.language == language end
  if ok and text ~= '' then
    ok = string.find(string.lower(f[9] or ''), text, 1, true) ~= nil or
      string.find(string.lower(request.code), text, 1, true) ~= nil
  end
  if ok then
    total = total + 1
    if total > offset and #rows < limit then
      rows[#rows + 1] = { f[1], f[2], f[3], s, f[5], f[6], f[7] or '', f[8] or '', f[9] or '',
        f[10], request.language, request.code }
    end
  end
end
return { total, rows }
`;

/** How many dead letters are pending, retried and discarded. */
export const COUNTS = STATE + `
local counts = { pending = 0, retried = 0, discarded = 0 }
for _, id in ipairs(redis.call('ZRANGE', '${P}dlq', 0, -1)) do
  local f = redis.call('HMGET', '${P}job:' .. id, 'status', 'dlq')
  local s = state_of(f[1], f[2])
  if s then counts[s] = counts[s] + 1 end
end
return { counts.pending, counts.retried, counts.discarded }
`;

/** ARGV[1]: dead jobs that died before it go ('' for all of them); how many went. */
export const DELETE = MOVE + `
local before = ARGV[1] == '' and '+inf' or '(' .. ARGV[1]
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', '${P}dlq', '-inf', before)) do
  if redis.call('HGET', '${P}job:' .. id, 'status') == 'dead' then
    drop(id)
    n = n + 1
  end
end
return n
`;

/** Count, oldest time and bytes of done and cancelled jobs, then of dead ones. */
export const KEPT = `
local function size(key)
  return redis.call('HSTRLEN', key, 'run') + redis.call('HSTRLEN', key, 'result') +
    redis.call('HSTRLEN', key, 'history') + redis.call('HSTRLEN', key, 'error')
end
local jobs = redis.call('ZRANGE', '${P}finished', 0, -1, 'WITHSCORES')
local jobBytes = 0
for i = 1, #jobs, 2 do jobBytes = jobBytes + size('${P}job:' .. jobs[i]) end
local dead, deadOldest, deadBytes = 0, '', 0
local letters = redis.call('ZRANGE', '${P}dlq', 0, -1, 'WITHSCORES')
for i = 1, #letters, 2 do
  local key = '${P}job:' .. letters[i]
  if redis.call('HGET', key, 'status') == 'dead' then
    dead = dead + 1
    if deadOldest == '' then deadOldest = letters[i + 1] end
    deadBytes = deadBytes + size(key)
  end
end
return { #jobs / 2, jobs[2] or '', jobBytes, dead, deadOldest, deadBytes }
`;
