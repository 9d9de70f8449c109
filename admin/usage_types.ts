/**
 * Usage metering: what every run adds to its tenant's and key's counters,
 * kept by the hour. Two stores follow this contract, chosen by
 * `FAAS_JOB_STORE` like the jobs: SQLite beside the jobs
 * (`sqlite_usage_store.ts`) and Redis shared by replicas
 * (`redis_usage_store.ts`), where every replica's counts add up.
 */

export type { Account } from "../core/account.ts";
import type { KeptStats } from "../jobs/types.ts";

/** What runs add up to. */
export interface UsageCounters {
  invocations: number;
  /** Runs that ended in an error (an exception, a non-zero exit) or whose sandbox died. */
  errors: number;
  timeouts: number;
  /** Runs stopped for using more memory than allowed. */
  memoryKills: number;
  cpuMs: number;
  wallMs: number;
  /** The largest peak of any one run. */
  peakMemoryBytes: number;
}

/** The counters of one key of one tenant in one hour. */
export interface UsageRow extends UsageCounters {
  tenant: string;
  keyId: string;
  /** Start of the UTC hour, epoch ms. */
  hour: number;
}

/** Which rows to read: one tenant or all; hours starting from `from` (rounded down) to `to`. */
export interface UsageQuery {
  tenant?: string;
  from?: number;
  to?: number;
}

/** Where usage is kept. */
export interface UsageStore {
  /** Adds rows: counters are summed, peaks kept at their largest. */
  addUsage(rows: UsageRow[]): Promise<void>;
  /** The rows of the hours the query selects, in no particular order. */
  usage(query: UsageQuery): Promise<UsageRow[]>;
  /** One tenant's counters over the UTC day starting at `day`, every key together. */
  dayTotals(tenant: string, day: number): Promise<UsageCounters>;
  /** How many rows (a tenant's key's hour) are kept, the oldest hour, and their size, roughly. */
  keptStats(): Promise<KeptStats>;
  /** Deletes the hours that start before `before`; how many rows went. */
  deleteBefore(before: number): Promise<number>;
  close(): Promise<void>;
}

/** An hour, ms. */
export const HOUR_MS = 3_600_000;
/** A day, ms. */
export const DAY_MS = 86_400_000;

/** Start of the UTC hour holding `ms`. */
export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
/** Start of the UTC day holding `ms`. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** Counters at zero. */
export function zeroCounters(): UsageCounters {
  return {
    invocations: 0,
    errors: 0,
    timeouts: 0,
    memoryKills: 0,
    cpuMs: 0,
    wallMs: 0,
    peakMemoryBytes: 0,
  };
}

/** Adds `b` into `a` (peaks: the larger); returns `a`. */
export function addCounters<T extends UsageCounters>(a: T, b: UsageCounters): T {
  a.invocations += b.invocations;
  a.errors += b.errors;
  a.timeouts += b.timeouts;
  a.memoryKills += b.memoryKills;
  a.cpuMs += b.cpuMs;
  a.wallMs += b.wallMs;
  a.peakMemoryBytes = Math.max(a.peakMemoryBytes, b.peakMemoryBytes);
  return a;
}

/** Whether `row` falls in the hours `query` selects. */
export function selects(query: UsageQuery, row: UsageRow): boolean {
  return (query.tenant === undefined || row.tenant === query.tenant) &&
    (query.from === undefined || row.hour >= hourOf(query.from)) &&
    (query.to === undefined || row.hour <= query.to);
}
