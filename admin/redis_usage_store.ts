/**
 * Usage in Redis, shared by every replica: each replica adds its batches
 * to the same hashes (HINCRBY), so their counts add up.
 *
 * Per tenant and UTC hour a hash `faas:usage:h:<hour>:<tenant>` holds
 * `<counter>:<key id>` fields; per tenant and UTC day a hash
 * `faas:usage:d:<day>:<tenant>` holds the tenant's totals (what daily
 * quotas read). The set `faas:usage:tenants` lists the tenants, and the
 * sorted set `faas:usage:hours:<tenant>` the hours each has counts for.
 * Hours and days are epoch ms, so the first `:` after them starts the tenant.
 */
import { createClient } from "redis";
import { closeRedis } from "../jobs/redis_client.ts";
import type { KeptStats } from "../jobs/types.ts";
import {
  DAY_MS,
  dayOf,
  hourOf,
  type UsageCounters,
  type UsageQuery,
  type UsageRow,
  type UsageStore,
  zeroCounters,
} from "./usage_types.ts";

const P = "faas:usage:";
const TENANTS = `${P}tenants`;
const hoursOf = (tenant: string) => `${P}hours:${tenant}`;
const hourKey = (hour: number, tenant: string) => `${P}h:${hour}:${tenant}`;
const dayKey = (day: number, tenant: string) => `${P}d:${day}:${tenant}`;

/** Redis field names of the counters, in the order the script takes them. */
const FIELDS = [
  ["invocations", "invocations"],
  ["errors", "errors"],
  ["timeouts", "timeouts"],
  ["memory_kills", "memoryKills"],
  ["cpu_ms", "cpuMs"],
  ["wall_ms", "wallMs"],
  ["peak_memory_bytes", "peakMemoryBytes"],
] as const;

const FIELD_OF = new Map<string, keyof UsageCounters>(FIELDS.map(([f, k]) => [f, k]));

// One batch in one script: replicas never see half of it. Per row, ARGV
// holds tenant, hour, day, key id, then the counters in FIELDS order.
const ADD = `
local P = '${P}'
local ints = {'invocations', 'errors', 'timeouts', 'memory_kills'}
local floats = {'cpu_ms', 'wall_ms'}
local function max_field(key, field, value)
  local now = tonumber(redis.call('HGET', key, field) or '0')
  if value > now then redis.call('HSET', key, field, value) end
end
for i = 1, #ARGV, 11 do
  local tenant, hour, day, id = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local h = P .. 'h:' .. hour .. ':' .. tenant
  local d = P .. 'd:' .. day .. ':' .. tenant
  redis.call('SADD', P .. 'tenants', tenant)
  redis.call('ZADD', P .. 'hours:' .. tenant, hour, hour)
  for j, name in ipairs(ints) do
    local v = tonumber(ARGV[i + 3 + j])
    redis.call('HINCRBY', h, name .. ':' .. id, v)
    if v ~= 0 then redis.call('HINCRBY', d, name, v) end
  end
  for j, name in ipairs(floats) do
    local v = ARGV[i + 7 + j]
    redis.call('HINCRBYFLOAT', h, name .. ':' .. id, v)
    redis.call('HINCRBYFLOAT', d, name, v)
  end
  local peak = tonumber(ARGV[i + 10])
  max_field(h, 'peak_memory_bytes:' .. id, peak)
  max_field(d, 'peak_memory_bytes', peak)
end
return 1
`;

/** Usage shared by replicas. */
export class RedisUsageStore implements UsageStore {
  #client;
  #ready: Promise<unknown>;

  constructor(url: string) {
    this.#client = createClient({ url });
    // Connection problems surface from the calls.
    this.#client.on("error", () => {});
    this.#ready = this.#client.connect();
  }

  async addUsage(rows: UsageRow[]): Promise<void> {
    if (!rows.length) return;
    await this.#ready;
    const args = rows.flatMap((r) => [
      r.tenant,
      String(r.hour),
      String(dayOf(r.hour)),
      r.keyId,
      ...FIELDS.map(([, k]) => String(r[k])),
    ]);
    await this.#client.eval(ADD, { keys: [], arguments: args });
  }

  async usage(q: UsageQuery): Promise<UsageRow[]> {
    await this.#ready;
    const tenants = q.tenant !== undefined ? [q.tenant] : await this.#client.sMembers(TENANTS);
    const from = q.from === undefined ? "-inf" : hourOf(q.from);
    const to = q.to === undefined ? "+inf" : q.to;
    const perTenant = await Promise.all(tenants.map(async (tenant) => {
      const hours = (await this.#client.zRangeByScore(hoursOf(tenant), from, to)).map(Number);
      const hashes = await Promise.all(hours.map((h) => this.#client.hGetAll(hourKey(h, tenant))));
      return hours.flatMap((hour, i) => rowsOf(tenant, hour, hashes[i]));
    }));
    return perTenant.flat();
  }

  async dayTotals(tenant: string, day: number): Promise<UsageCounters> {
    await this.#ready;
    const h = await this.#client.hGetAll(dayKey(day, tenant));
    const out = zeroCounters();
    for (const [field, value] of Object.entries(h)) {
      const k = FIELD_OF.get(field);
      if (k) out[k] = Number(value);
    }
    return out;
  }

  async keptStats(): Promise<KeptStats> {
    await this.#ready;
    let count = 0;
    let oldest: number | undefined;
    let bytes = 0;
    for (const tenant of await this.#client.sMembers(TENANTS)) {
      const hours = (await this.#client.zRange(hoursOf(tenant), 0, -1)).map(Number);
      if (hours.length && (oldest === undefined || hours[0] < oldest)) oldest = hours[0];
      for (const hour of hours) {
        const fields = await this.#client.hLen(hourKey(hour, tenant));
        // One row per key: each key has one field per counter.
        count += Math.ceil(fields / FIELDS.length);
        bytes += fields * 32;
      }
    }
    return { count, ...(oldest !== undefined && { oldest }), bytes };
  }

  async deleteBefore(before: number): Promise<number> {
    await this.#ready;
    const cutoff = hourOf(before);
    let deleted = 0;
    for (const tenant of await this.#client.sMembers(TENANTS)) {
      const hours = (await this.#client.zRangeByScore(hoursOf(tenant), "-inf", `(${cutoff}`))
        .map(Number);
      if (!hours.length) continue;
      for (const hour of hours) {
        deleted += Math.ceil((await this.#client.hLen(hourKey(hour, tenant))) / FIELDS.length);
      }
      // A day's totals go with its last hour; today's (what quotas read) never do.
      const days = [...new Set(hours.map(dayOf))].filter((d) => d + DAY_MS <= cutoff);
      await this.#client.multi()
        .del(hours.map((h) => hourKey(h, tenant)))
        .zRemRangeByScore(hoursOf(tenant), "-inf", `(${cutoff}`)
        .del(days.length ? days.map((d) => dayKey(d, tenant)) : [hourKey(-1, tenant)])
        .exec();
    }
    return deleted;
  }

  async close(): Promise<void> {
    await this.#ready;
    await closeRedis(this.#client);
  }
}

/** The rows of one hour's hash: one per key id found in its fields. */
function rowsOf(tenant: string, hour: number, h: Record<string, string>): UsageRow[] {
  const byKey = new Map<string, UsageRow>();
  for (const [field, value] of Object.entries(h)) {
    const colon = field.indexOf(":");
    const k = FIELD_OF.get(field.slice(0, colon));
    if (colon < 0 || !k) continue;
    const keyId = field.slice(colon + 1);
    let row = byKey.get(keyId);
    if (!row) byKey.set(keyId, row = { tenant, keyId, hour, ...zeroCounters() });
    row[k] = Number(value);
  }
  return [...byKey.values()];
}
