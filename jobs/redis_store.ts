/**
 * The job store shared by replicas: Redis (`FAAS_JOB_STORE=redis://host:port/db`).
 *
 * A job is a hash; the queue is a sorted set by priority then age; running
 * jobs sit in a sorted set by lease expiry, which their replica renews every
 * second, so the jobs of a replica that died are queued again once their
 * lease runs out. Every change of status is one Lua script, so replicas
 * never claim the same job twice.
 */
import { createClient } from "redis";
import { PRIORITIES } from "../scheduler/priority_queue.ts";
import type { Job, JobStatus, JobStore, OutputChunk, OutputLog } from "./store.ts";

const P = "faas:";

// Moves a job between the per-owner status indexes and sets its status.
const MOVE = `
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
local function enqueue(id)
  local key = '${P}job:' .. id
  local score = tonumber(redis.call('HGET', key, 'priority')) * 1e14 + tonumber(redis.call('HGET', key, 'created_at'))
  redis.call('ZREM', '${P}running', id)
  queue_add(id, redis.call('HGET', key, 'owner'), score)
  move(id, 'queued')
end
`;

// ARGV[3..]: owners whose jobs are passed over (at their limit of runs in
// progress): the best head among the other owners' queues wins.
const CLAIM = MOVE + `
local id = nil
if #ARGV < 3 then
  id = redis.call('ZRANGE', '${P}queue', 0, 0)[1]
else
  local skip = {}
  for i = 3, #ARGV do skip[ARGV[i]] = true end
  local best = nil
  for _, owner in ipairs(redis.call('SMEMBERS', '${P}queued-owners')) do
    if not skip[owner] then
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
local key = '${P}job:' .. id
redis.call('HINCRBY', key, 'attempts', 1)
redis.call('HSET', key, 'started_at', ARGV[1])
redis.call('ZADD', '${P}running', ARGV[2], id)
move(id, 'running')
return id
`;

const FINISH = MOVE + `
local id, to, now, result, err = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = '${P}job:' .. id
local status = redis.call('HGET', key, 'status')
if not status then return 0 end
local allowed = false
for i = 6, #ARGV do if ARGV[i] == status then allowed = true end end
if not allowed then return 0 end
queue_remove(id)
redis.call('ZREM', '${P}running', id)
move(id, to)
redis.call('HSET', key, 'finished_at', now)
if result ~= '' then redis.call('HSET', key, 'result', result) end
if err ~= '' then redis.call('HSET', key, 'error', err) end
redis.call('ZADD', '${P}finished', now, id)
return 1
`;

const REQUEUE = MOVE + `
local key = '${P}job:' .. ARGV[1]
if redis.call('HGET', key, 'status') ~= 'running' then return 0 end
if ARGV[2] == '1' then redis.call('HINCRBY', key, 'attempts', -1) end
enqueue(ARGV[1])
return 1
`;

const RETRY = MOVE + `
local key = '${P}job:' .. ARGV[1]
if redis.call('HGET', key, 'status') ~= 'dead' then return 0 end
redis.call('HSET', key, 'attempts', 0)
redis.call('HDEL', key, 'finished_at', 'error', 'started_at')
redis.call('ZREM', '${P}finished', ARGV[1])
enqueue(ARGV[1])
return 1
`;

// Jobs whose lease ran out (their replica is gone) go back to the queue.
const RECOVER = MOVE + `
local ids = redis.call('ZRANGEBYSCORE', '${P}running', '-inf', ARGV[1])
for _, id in ipairs(ids) do enqueue(id) end
return #ids
`;

const EXPIRE = `
local ids = redis.call('ZRANGEBYSCORE', '${P}finished', '-inf', ARGV[1])
for _, id in ipairs(ids) do
  local key = '${P}job:' .. id
  local owner = redis.call('HGET', key, 'owner')
  local status = redis.call('HGET', key, 'status')
  local idem = redis.call('HGET', key, 'idempotency_key')
  if owner then
    redis.call('ZREM', '${P}status:' .. owner .. ':' .. status, id)
    if idem then redis.call('DEL', '${P}idem:' .. owner .. ':' .. idem) end
  end
  redis.call('DEL', key)
  redis.call('ZREM', '${P}finished', id)
end
return #ids
`;

// Once per database: queued jobs of a store written before the queue per
// owner existed join their owner's queue.
const LAYOUT = `
if redis.call('GET', '${P}layout') == '2' then return 0 end
local entries = redis.call('ZRANGE', '${P}queue', 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  local owner = redis.call('HGET', '${P}job:' .. entries[i], 'owner')
  if owner then
    redis.call('ZADD', '${P}queue:' .. owner, entries[i + 1], entries[i])
    redis.call('SADD', '${P}queued-owners', owner)
  end
end
redis.call('SET', '${P}layout', '2')
return #entries / 2
`;

// All or none: refuses the batch if an idempotency key is taken meanwhile.
const INSERT = MOVE + `
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

function fromHash(h: Record<string, string>): Job | undefined {
  if (!h.id) return undefined;
  const job: Job = {
    id: h.id,
    owner: h.owner,
    status: h.status as JobStatus,
    attempts: Number(h.attempts),
    run: JSON.parse(h.run),
    createdAt: Number(h.created_at),
  };
  if (h.idempotency_key) job.idempotencyKey = h.idempotency_key;
  if (h.started_at) job.startedAt = Number(h.started_at);
  if (h.finished_at) job.finishedAt = Number(h.finished_at);
  if (h.result) job.result = JSON.parse(h.result);
  if (h.error) job.error = h.error;
  return job;
}

/** How long a job's output stream outlives its last chunk, seconds. */
const OUTPUT_TTL_S = 3600;
/** How long it is kept once the attempt ended, seconds. */
const CLOSED_OUTPUT_TTL_S = 60;

/** Jobs in Redis, shared by every replica pointed at the same database. */
export class RedisJobStore implements JobStore {
  #client;
  #ready: Promise<unknown>;
  /** Each job's output is a Redis stream: history and live from one cursor. */
  readonly output: OutputLog;

  constructor(url: string) {
    this.#client = createClient({ url });
    // Connection problems surface from the calls (and at start-up).
    this.#client.on("error", () => {});
    this.#ready = this.#client.connect().then((client) =>
      client.eval(LAYOUT, { keys: [], arguments: [] })
    );
    const client = this.#client;
    const ready = () => this.#ready;
    const key = (id: string) => `${P}out:${id}`;
    this.output = {
      async reset(id: string): Promise<void> {
        await ready();
        await client.del(key(id));
      },
      async append(id: string, by: string, chunk: OutputChunk): Promise<void> {
        await ready();
        await client.multi()
          .xAdd(key(id), "*", { by, fd: String(chunk.fd), text: chunk.text })
          .expire(key(id), OUTPUT_TTL_S)
          .exec();
      },
      async close(id: string): Promise<void> {
        await ready();
        // The job's result holds the output; watchers read the rest within seconds.
        await client.expire(key(id), CLOSED_OUTPUT_TTL_S);
      },
      async read(id: string, cursor: string) {
        await ready();
        const entries = (await client.xRange(key(id), cursor === "0" ? "-" : `(${cursor}`, "+")) ??
          [];
        return {
          chunks: entries.filter((e) => e !== null).map((e) => ({
            by: String(e.message.by),
            fd: e.message.fd === "2" ? 2 as const : 1 as const,
            text: String(e.message.text),
          })),
          cursor: entries.at(-1)?.id ?? cursor,
        };
      },
    };
  }

  async #eval(script: string, args: (string | number)[]): Promise<unknown> {
    await this.#ready;
    return await this.#client.eval(script, { keys: [], arguments: args.map(String) });
  }

  async insert(jobs: Job[]): Promise<void> {
    const args: (string | number)[] = [jobs.length];
    for (const j of jobs) {
      args.push(
        j.id,
        j.owner,
        PRIORITIES.indexOf(j.run.request.priority),
        j.createdAt,
        JSON.stringify(j.run),
        j.idempotencyKey ?? "",
      );
    }
    if (await this.#eval(INSERT, args) !== 1) {
      throw new Error("An Idempotency-Key of this submission was used meanwhile");
    }
  }

  async get(id: string): Promise<Job | undefined> {
    await this.#ready;
    return fromHash(await this.#client.hGetAll(`${P}job:${id}`) as Record<string, string>);
  }

  async byIdempotencyKey(owner: string, key: string): Promise<Job | undefined> {
    await this.#ready;
    const id = await this.#client.get(`${P}idem:${owner}:${key}`);
    return id ? await this.get(String(id)) : undefined;
  }

  async claim(
    now: number,
    leaseMs: number,
    skipOwners: readonly string[] = [],
  ): Promise<Job | undefined> {
    const id = await this.#eval(CLAIM, [now, now + leaseMs, ...skipOwners]);
    return typeof id === "string" ? await this.get(id) : undefined;
  }

  async finish(
    id: string,
    from: JobStatus[],
    to: JobStatus,
    now: number,
    fields: { result?: unknown; error?: string } = {},
  ): Promise<boolean> {
    const result = fields.result === undefined ? "" : JSON.stringify(fields.result);
    return await this.#eval(FINISH, [id, to, now, result, fields.error ?? "", ...from]) === 1;
  }

  async requeue(id: string, refund: boolean): Promise<void> {
    await this.#eval(REQUEUE, [id, refund ? "1" : "0"]);
  }

  async retry(id: string): Promise<boolean> {
    return await this.#eval(RETRY, [id]) === 1;
  }

  async renew(ids: string[], until: number): Promise<void> {
    if (ids.length === 0) return;
    await this.#ready;
    await this.#client.zAdd(`${P}running`, ids.map((value) => ({ score: until, value })), {
      XX: true,
    } as never);
  }

  async recover(now: number, _atStart: boolean): Promise<number> {
    // Shared by replicas: only jobs whose lease ran out are taken over.
    return Number(await this.#eval(RECOVER, [now]));
  }

  async list(owner: string, status: JobStatus, limit: number): Promise<Job[]> {
    await this.#ready;
    const ids = await this.#client.zRange(`${P}status:${owner}:${status}`, 0, limit - 1);
    const jobs = await Promise.all(ids.map((id) => this.get(String(id))));
    return jobs.filter((j): j is Job => j !== undefined);
  }

  async deleteFinishedBefore(before: number): Promise<number> {
    return Number(await this.#eval(EXPIRE, [before]));
  }

  /** How many jobs are queued and running, over every replica. */
  async activeCounts(): Promise<{ queued: number; running: number }> {
    await this.#ready;
    const [queued, running] = await Promise.all([
      this.#client.zCard(`${P}queue`),
      this.#client.zCard(`${P}running`),
    ]);
    return { queued: Number(queued), running: Number(running) };
  }

  async close(): Promise<void> {
    await this.#ready;
    await this.#client.close();
  }
}
