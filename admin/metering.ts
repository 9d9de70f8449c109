/**
 * Usage metering and quotas, opened where `FAAS_JOB_STORE` keeps the jobs:
 * beside them in the SQLite file (counters for quotas in this process's
 * memory), or in Redis (counters shared by the replicas).
 */
import type { Logger } from "../core/log.ts";
import { LocalQuotaCounters } from "./local_quota_counters.ts";
import { QuotaGate } from "./quota_gate.ts";
import { RedisQuotaCounters } from "./redis_quota_counters.ts";
import { RedisQuotaStore } from "./redis_quota_store.ts";
import { RedisUsageStore } from "./redis_usage_store.ts";
import { SqliteQuotaStore } from "./sqlite_quota_store.ts";
import { SqliteUsageStore } from "./sqlite_usage_store.ts";
import { UsageMeter } from "./usage_meter.ts";
import type { UsageStore } from "./usage_types.ts";

/** The usage store, the meter counting runs into it, and the quota gate. */
export interface Metering {
  store: UsageStore;
  meter: UsageMeter;
  gate: QuotaGate;
  /** Writes what the meter holds and closes the stores. */
  close(): Promise<void>;
}

/**
 * Opens metering at `location` (a SQLite path or a `redis://` URL).
 * `slotTtlMs`: the longest a run can be in progress, after which a slot a
 * dead replica left behind is dropped.
 */
export function openMetering(location: string, logger: Logger, slotTtlMs: number): Metering {
  const redis = /^rediss?:\/\//.test(location);
  const store = redis ? new RedisUsageStore(location) : new SqliteUsageStore(location);
  const quotas = redis ? new RedisQuotaStore(location) : new SqliteQuotaStore(location);
  const counters = redis ? new RedisQuotaCounters(location, slotTtlMs) : new LocalQuotaCounters();
  const meter = new UsageMeter(store, logger);
  const gate = new QuotaGate({ quotas, counters, today: (tenant) => meter.today(tenant) });
  return {
    store,
    meter,
    gate,
    async close() {
      await meter.close();
      await Promise.all([store.close(), quotas.close(), counters.close()]);
    },
  };
}
