/** Usage rows summed the ways the API shows them: per tenant and key, or per time bucket. */
import {
  addCounters,
  dayOf,
  type UsageCounters,
  type UsageRow,
  zeroCounters,
} from "./usage_types.ts";

/** A tenant's counters, and each key's. */
export interface TenantUsage extends UsageCounters {
  tenant: string;
  keys: (UsageCounters & { keyId: string })[];
}

/** The sizes of a history's buckets. */
export const BUCKETS = ["hour", "day"] as const;
/** A history bucket size. */
export type Bucket = typeof BUCKETS[number];

/** One bucket of a history. */
export interface UsagePoint extends UsageCounters {
  /** Start of the bucket, epoch ms. */
  start: number;
}

const byName = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/** Rows summed per tenant (by name), with each key's share (by key id). */
export function usageByTenant(rows: UsageRow[]): TenantUsage[] {
  const tenants = new Map<string, TenantUsage>();
  const keys = new Map<string, Map<string, UsageCounters & { keyId: string }>>();
  for (const row of rows) {
    let t = tenants.get(row.tenant);
    if (!t) tenants.set(row.tenant, t = { tenant: row.tenant, ...zeroCounters(), keys: [] });
    addCounters(t, row);
    let mine = keys.get(row.tenant);
    if (!mine) keys.set(row.tenant, mine = new Map());
    let k = mine.get(row.keyId);
    if (!k) mine.set(row.keyId, k = { keyId: row.keyId, ...zeroCounters() });
    addCounters(k, row);
  }
  return [...tenants.values()].sort((a, b) => byName(a.tenant, b.tenant)).map((t) => ({
    ...t,
    keys: [...keys.get(t.tenant)!.values()].sort((a, b) => byName(a.keyId, b.keyId)),
  }));
}

/** Rows summed per bucket, oldest first; buckets without runs are left out. */
export function usageSeries(rows: UsageRow[], bucket: Bucket): UsagePoint[] {
  const points = new Map<number, UsagePoint>();
  for (const row of rows) {
    const start = bucket === "day" ? dayOf(row.hour) : row.hour;
    let p = points.get(start);
    if (!p) points.set(start, p = { start, ...zeroCounters() });
    addCounters(p, row);
  }
  return [...points.values()].sort((a, b) => a.start - b.start);
}
