/**
 * The Lua scripts of the Redis job store (`redis_store.ts`): each change of
 * a job is one script, so replicas never see it half made.
 *
 * Keys: `job:<id>` (a hash), `queue` and `queue:<owner>` (queued jobs by
 * priority, then age), `queued-owners`, `running` (by lease expiry),
 * `status:<owner>:<status>` (by age), `finished` (done and cancelled jobs
 * by finish time), `dlq` (dead letters: jobs that died, by when they last
 * did, kept there when retried), `idem:<owner>:<key>` and `bytes:<owner>`
 * (result bytes the owner's jobs hold). Owners hold no `:` (see
 * `owner.ts`), so these never run together.
 */

/** Prefix of every key the job store writes. */
export const P = "faas:";

// Moves a job between the per-owner status indexes and sets its status;
// the queue, history and deletion helpers every script may use.
export const MOVE = `
local function move(id, to)
  local key = '${P}job:' .. id
  local owner = redis.call('HGET', key, 'owner')
  local from = redis.call('HGET', key, 'status')
  local created = redis.call('HGET', key, 'created_at')
  redis.call('ZREM', '${P}status:' .. owner .. ':' .. from, id)
  redis.call('ZADD', '${P}status:' .. owner .. ':' .. to, created, id)
  redis.call('HSET', key, 'status', to)
end
-- Queued jobs sit in one queue and in their owner's, so a claim that
-- passes over some owners looks at the other owners' heads only.
local function queue_add(id, owner, score)
  redis.call('ZADD', '${P}queue', score, id)
  redis.call('ZADD', '${P}queue:' .. owner, score, id)
  redis.call('SADD', '${P}queued-owners', owner)
end
local function queue_remove(id)
  local owner = redis.call('HGET', '${P}job:' .. id, 'owner')
  redis.call('ZREM', '${P}queue', id)
  if owner then
    redis.call('ZREM', '${P}queue:' .. owner, id)
    if redis.call('ZCARD', '${P}queue:' .. owner) == 0 then
      redis.call('SREM', '${P}queued-owners', owner)
    end
  end
end
-- Appends one attempt (JSON text, '' for none) to a job's history, a JSON
-- array kept as text so that no decode and encode can alter it.
local function history_add(key, entry)
  if entry == nil or entry == '' then return end
  local h = redis.call('HGET', key, 'history')
  if not h or h == '' or h == '[]' then
    h = '[' .. entry .. ']'
  else
    h = string.sub(h, 1, -2) .. ',' .. entry .. ']'
  end
  redis.call('HSET', key, 'history', h)
end
-- Deletes a job and its entries in every index.
local function drop(id)
  local key = '${P}job:' .. id
  local owner = redis.call('HGET', key, 'owner')
  local status = redis.call('HGET', key, 'status')
  local idem = redis.call('HGET', key, 'idempotency_key')
  local bytes = tonumber(redis.call('HGET', key, 'result_bytes') or '0')
  if owner then
    redis.call('ZREM', '${P}status:' .. owner .. ':' .. status, id)
    if idem then redis.call('DEL', '${P}idem:' .. owner .. ':' .. idem) end
    if bytes > 0 and redis.call('DECRBY', '${P}bytes:' .. owner, bytes) <= 0 then
      redis.call('DEL', '${P}bytes:' .. owner)
    end
  end
  redis.call('DEL', key)
  redis.call('ZREM', '${P}finished', id)
  redis.call('ZREM', '${P}dlq', id)
end
local function enqueue(id)
  local key = '${P}job:' .. id
  local score = tonumber(redis.call('HGET', key, 'priority')) * 1e14 + tonumber(redis.call('HGET', key, 'created_at'))
  redis.call('ZREM', '${P}running', id)
  queue_add(id, redis.call('HGET', key, 'owner'), score)
  move(id, 'queued')
end
`;

// ARGV[3..]: API keys whose owners' jobs are passed over (at their limit of
// runs in progress): the best head among the other owners' queues wins. An
// owner's key is what comes before its first '/'. A claim is not an
// attempt: START counts one once the run reached a sandbox.
export const CLAIM = MOVE + `
local id = nil
if #ARGV < 3 then
  id = redis.call('ZRANGE', '${P}queue', 0, 0)[1]
else
  local skip = {}
  for i = 3, #ARGV do skip[ARGV[i]] = true end
  local best = nil
  for _, owner in ipairs(redis.call('SMEMBERS', '${P}queued-owners')) do
    if not skip[string.match(owner, '^[^/]*')] then
      local head = redis.call('ZRANGE', '${P}queue:' .. owner, 0, 0, 'WITHSCORES')
      -- An entry no longer queued (taken by a replica that kept only the
      -- one queue) is dropped, never claimed twice.
      while head[1] and not redis.call('ZSCORE', '${P}queue', head[1]) do
        redis.call('ZREM', '${P}queue:' .. owner, head[1])
        head = redis.call('ZRANGE', '${P}queue:' .. owner, 0, 0, 'WITHSCORES')
      end
      if not head[1] then
        redis.call('SREM', '${P}queued-owners', owner)
      elseif not best or tonumber(head[2]) < best then
        best = tonumber(head[2])
        id = head[1]
      end
    end
  end
end
if not id then return false end
queue_remove(id)
redis.call('ZADD', '${P}running', ARGV[2], id)
move(id, 'running')
return id
`;

export const FINISH = MOVE + `
local id, to, now, result, err, note, attempt = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local key = '${P}job:' .. id
local status = redis.call('HGET', key, 'status')
if not status then return 0 end
local allowed = false
for i = 8, #ARGV do if ARGV[i] == status then allowed = true end end
if not allowed then return 0 end
queue_remove(id)
redis.call('ZREM', '${P}running', id)
move(id, to)
redis.call('HSET', key, 'finished_at', now)
if result ~= '' then
  -- The owner's total of stored result bytes follows each result kept.
  local old = tonumber(redis.call('HGET', key, 'result_bytes') or '0')
  redis.call('HSET', key, 'result', result, 'result_bytes', #result)
  redis.call('INCRBY', '${P}bytes:' .. redis.call('HGET', key, 'owner'), #result - old)
  if note ~= '' then
    redis.call('HSET', key, 'result_note', note)
  else
    redis.call('HDEL', key, 'result_note')
  end
end
if err ~= '' then redis.call('HSET', key, 'error', err) end
history_add(key, attempt)
if to == 'dead' then
  -- A dead job (again) is a pending dead letter, kept apart from finished jobs.
  redis.call('ZREM', '${P}finished', id)
  redis.call('ZADD', '${P}dlq', now, id)
  redis.call('HSET', key, 'dead_at', now)
  redis.call('HDEL', key, 'dlq')
else
  redis.call('ZADD', '${P}finished', now, id)
end
return 1
`;

// The claimed run reached a sandbox: one more attempt, started now.
export const START = `
local key = '${P}job:' .. ARGV[1]
if redis.call('HGET', key, 'status') ~= 'running' then return false end
redis.call('HSET', key, 'started_at', ARGV[2])
return redis.call('HINCRBY', key, 'attempts', 1)
`;

// ARGV: an owner's status index, the cursor (created_at and id, or '' for
// the start), how many jobs. Summary fields only: runs and results stay in
// Redis. Jobs of one batch share a score, and Redis orders them by id, byte
// by byte; a cursor whose job left the index meanwhile is placed that way.
export const LIST = `
local index, created, last, count = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local function le(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a <= #b
end
local start = 0
if last ~= '' then
  local rank = redis.call('ZRANK', index, last)
  if rank then
    start = rank + 1
  else
    start = redis.call('ZCOUNT', index, '-inf', '(' .. created)
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', index, created, created)) do
      if le(m, last) then start = start + 1 end
    end
  end
end
local out = {}
for _, id in ipairs(redis.call('ZRANGE', index, start, start + count - 1)) do
  out[#out + 1] = redis.call('HMGET', '${P}job:' .. id, 'id', 'status', 'attempts',
    'created_at', 'started_at', 'finished_at', 'error')
end
return out
`;

export const REQUEUE = MOVE + `
local key = '${P}job:' .. ARGV[1]
if redis.call('HGET', key, 'status') ~= 'running' then return 0 end
if ARGV[2] == '1' and tonumber(redis.call('HGET', key, 'attempts')) > 0 then
  redis.call('HINCRBY', key, 'attempts', -1)
end
history_add(key, ARGV[3])
enqueue(ARGV[1])
return 1
`;

export const RETRY = MOVE + `
local key = '${P}job:' .. ARGV[1]
if redis.call('HGET', key, 'status') ~= 'dead' then return 0 end
redis.call('HSET', key, 'retry_base', redis.call('HGET', key, 'attempts'), 'dlq', 'retried')
redis.call('HDEL', key, 'finished_at', 'error', 'started_at')
redis.call('ZREM', '${P}finished', ARGV[1])
enqueue(ARGV[1])
return 1
`;

// Jobs whose lease ran out (their replica is gone) go back to the queue; an
// attempt under way then is recorded as lost.
export const RECOVER = MOVE + `
local ids = redis.call('ZRANGEBYSCORE', '${P}running', '-inf', ARGV[1])
for _, id in ipairs(ids) do
  local key = '${P}job:' .. id
  local attempts = tonumber(redis.call('HGET', key, 'attempts') or '0')
  local h = redis.call('HGET', key, 'history') or '[]'
  local recorded = 0
  for _ in string.gmatch(h, '"attempt":') do recorded = recorded + 1 end
  if attempts > recorded then
    local started = redis.call('HGET', key, 'started_at')
    history_add(key, '{"attempt":' .. attempts .. ',' ..
      (started and ('"startedAt":' .. started .. ',') or '') ..
      '"finishedAt":' .. ARGV[1] .. ',"outcome":"lost",' ..
      '"error":"The service stopped during the attempt"}')
  end
  enqueue(id)
end
return #ids
`;

export const EXPIRE = MOVE + `
local ids = redis.call('ZRANGEBYSCORE', '${P}finished', '-inf', '(' .. ARGV[1])
for _, id in ipairs(ids) do drop(id) end
return #ids
`;

// Once per database: queued jobs of a store written before the queue per
// owner existed join their owner's queue (layout 2); dead jobs of one
// written before dead letters were kept apart become pending ones (3).
export const LAYOUT = `
local layout = redis.call('GET', '${P}layout')
if layout == '3' then return 0 end
if layout ~= '2' then
  local entries = redis.call('ZRANGE', '${P}queue', 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    local owner = redis.call('HGET', '${P}job:' .. entries[i], 'owner')
    if owner then
      redis.call('ZADD', '${P}queue:' .. owner, entries[i + 1], entries[i])
      redis.call('SADD', '${P}queued-owners', owner)
    end
  end
end
local finished = redis.call('ZRANGE', '${P}finished', 0, -1, 'WITHSCORES')
for i = 1, #finished, 2 do
  local key = '${P}job:' .. finished[i]
  if redis.call('HGET', key, 'status') == 'dead' then
    redis.call('ZREM', '${P}finished', finished[i])
    redis.call('ZADD', '${P}dlq', finished[i + 1], finished[i])
    redis.call('HSET', key, 'dead_at', finished[i + 1])
  end
end
redis.call('SET', '${P}layout', '3')
return 1
`;

// All or none: refuses the batch if an idempotency key is taken meanwhile.
export const INSERT = MOVE + `
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local idem = ARGV[2 + i * 6 + 5]
  if idem ~= '' and redis.call('EXISTS', '${P}idem:' .. ARGV[2 + i * 6 + 1] .. ':' .. idem) == 1 then
    return 0
  end
end
for i = 0, n - 1 do
  local b = 2 + i * 6
  local id, owner, priority, created, run, idem = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5]
  local key = '${P}job:' .. id
  redis.call('HSET', key, 'id', id, 'owner', owner, 'status', 'queued', 'attempts', 0,
    'priority', priority, 'created_at', created, 'run', run)
  if idem ~= '' then
    redis.call('HSET', key, 'idempotency_key', idem)
    redis.call('SET', '${P}idem:' .. owner .. ':' .. idem, id)
  end
  queue_add(id, owner, tonumber(priority) * 1e14 + tonumber(created))
  redis.call('ZADD', '${P}status:' .. owner .. ':queued', created, id)
end
return 1
`;
