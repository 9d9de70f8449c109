/**
 * Quota counters in Redis, so that quotas hold across replicas: a day's
 * runs are charged by a script that checks and increments in one step
 * (two replicas cannot both let the run past the limit through), and runs
 * in progress are members of a sorted set scored by when they expire, so a
 * replica that dies without ending its runs holds no slot for long.
 *
 * Keys: `faas:quota:runs:<day>` (a hash of runs charged per tenant, kept
 * two days) and `faas:quota:running:<tenant>` (runs in progress).
 */
import { createClient } from "redis";
import { closeRedis } from "../jobs/redis_client.ts";
import type { Charge, QuotaCounters, Slot } from "./quota_types.ts";

const P = "faas:quota:";
const runsKey = (day: number) => `${P}runs:${day}`;
const runningKey = (tenant: string) => `${P}running:${tenant}`;
/** How long a day's charged runs are kept, s: past the day, for its last answers. */
const RUNS_TTL_S = 2 * 86_400;

// ARGV: key, tenant, runs, limit, seed ('' when not read yet), ttl s.
// Answers {1, used} when charged, {0, used} when over the limit, {-1, 0}
// when the day is not counted yet and needs its seed.
const CHARGE = `
local key, tenant = ARGV[1], ARGV[2]
local used = redis.call('HGET', key, tenant)
if not used then
  if ARGV[5] == '' then return {-1, 0} end
  redis.call('HSET', key, tenant, ARGV[5])
  redis.call('EXPIRE', key, ARGV[6])
  used = ARGV[5]
end
used = tonumber(used)
local runs = tonumber(ARGV[3])
if used + runs > tonumber(ARGV[4]) then return {0, used} end
redis.call('HINCRBY', key, tenant, runs)
return {1, used}
`;

// ARGV: key, now, expires, token, limit (-1: none), ttl ms.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', ARGV[1], '-inf', ARGV[2])
local n = redis.call('ZCARD', ARGV[1])
local limit = tonumber(ARGV[5])
if limit >= 0 and n >= limit then return {0, n} end
redis.call('ZADD', ARGV[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', ARGV[1], ARGV[6])
return {1, n}
`;

/** Counters shared by replicas. */
export class RedisQuotaCounters implements QuotaCounters {
  #client;
  #ready: Promise<unknown>;
  #slotTtlMs: number;
  #now: () => number;

  /**
   * `slotTtlMs` is the longest a run can be in progress (its queue wait and
   * timeout, with room to spare): a slot not ended by then is dropped.
   */
  constructor(url: string, slotTtlMs: number, now: () => number = Date.now) {
    this.#client = createClient({ url });
    // Connection problems surface from the calls.
    this.#client.on("error", () => {});
    this.#ready = this.#client.connect();
    this.#slotTtlMs = slotTtlMs;
    this.#now = now;
  }

  async #eval(script: string, args: (string | number)[]): Promise<[number, number]> {
    await this.#ready;
    const out = await this.#client.eval(script, { keys: [], arguments: args.map(String) });
    const [a, b] = out as unknown as [number, number];
    return [Number(a), Number(b)];
  }

  async chargeRuns(
    tenant: string,
    day: number,
    runs: number,
    limit: number,
    seed: () => Promise<number>,
  ): Promise<Charge> {
    const args = (seeded: string) => [runsKey(day), tenant, runs, limit, seeded, RUNS_TTL_S];
    let [ok, used] = await this.#eval(CHARGE, args(""));
    if (ok === -1) [ok, used] = await this.#eval(CHARGE, args(String(await seed())));
    return { ok: ok === 1, used };
  }

  async refundRuns(tenant: string, day: number, runs: number): Promise<void> {
    await this.#ready;
    await this.#client.hIncrBy(runsKey(day), tenant, -runs);
  }

  async runsCharged(tenant: string, day: number): Promise<number | undefined> {
    await this.#ready;
    const used = await this.#client.hGet(runsKey(day), tenant);
    return used === null || used === undefined ? undefined : Number(used);
  }

  async forget(tenant: string, day: number): Promise<void> {
    await this.#ready;
    await this.#client.hDel(runsKey(day), tenant);
  }

  async acquireSlot(tenant: string, limit: number | null): Promise<Slot> {
    const now = this.#now();
    const token = crypto.randomUUID();
    const key = runningKey(tenant);
    const [ok, running] = await this.#eval(ACQUIRE, [
      key,
      now,
      now + this.#slotTtlMs,
      token,
      limit ?? -1,
      this.#slotTtlMs,
    ]);
    if (ok !== 1) return { ok: false, running, release: () => Promise.resolve() };
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await this.#client.zRem(key, token);
    };
    return { ok: true, running, release };
  }

  async running(tenant: string): Promise<number> {
    await this.#ready;
    return await this.#client.zCount(runningKey(tenant), this.#now(), "+inf");
  }

  async close(): Promise<void> {
    await this.#ready;
    await closeRedis(this.#client);
  }
}
