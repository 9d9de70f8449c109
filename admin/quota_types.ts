/**
 * Quotas: per-tenant limits on runs per UTC day, CPU time per UTC day and
 * runs in progress, enforced before a run is queued. The limits live in a
 * `QuotaStore`; what they are checked against lives in `QuotaCounters`
 * (in memory for one process, in Redis for replicas).
 */

/** The names of the limits, as the API spells them. */
export type QuotaName = "invocations_per_day" | "cpu_ms_per_day" | "max_concurrent";

/** A tenant's limits; null for none. */
export interface QuotaLimits {
  invocationsPerDay: number | null;
  cpuMsPerDay: number | null;
  maxConcurrent: number | null;
  /** Share of a daily limit (0 to 1) from which answers carry `X-Quota-Warning`. */
  warnAt: number;
}

/** The default `warnAt`. */
export const DEFAULT_WARN_AT = 0.8;

/** A tenant's quota as stored. */
export interface Quota extends QuotaLimits {
  tenant: string;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

/** Where the limits are kept. */
export interface QuotaStore {
  /** Every quota, by tenant. */
  listQuotas(): Promise<Quota[]>;
  getQuota(tenant: string): Promise<Quota | undefined>;
  /** Sets a tenant's quota, replacing any earlier one. */
  putQuota(quota: Quota): Promise<void>;
  /** Removes a tenant's quota; the removed one, or undefined if there was none. */
  deleteQuota(tenant: string): Promise<Quota | undefined>;
  close(): Promise<void>;
}

/** The outcome of charging runs to a tenant's day. */
export interface Charge {
  ok: boolean;
  /** Runs charged to the day before this charge. */
  used: number;
}

/** A run in progress, counted for its tenant. */
export interface Slot {
  ok: boolean;
  /** Runs in progress before this one (all of them when refused). */
  running: number;
  /** Ends the run's count (nothing when refused). */
  release(): Promise<void>;
}

/** What quotas are checked against; atomic for every replica sharing them. */
export interface QuotaCounters {
  /**
   * Charges `runs` to the tenant's runs of the UTC day starting at `day`,
   * unless they would pass `limit`. A day not counted yet starts from
   * `seed()` (the runs its usage already holds).
   */
  chargeRuns(
    tenant: string,
    day: number,
    runs: number,
    limit: number,
    seed: () => Promise<number>,
  ): Promise<Charge>;
  /** Gives back runs charged for runs that never ran. */
  refundRuns(tenant: string, day: number, runs: number): Promise<void>;
  /** Runs charged to the day, or undefined when the day is not counted yet. */
  runsCharged(tenant: string, day: number): Promise<number | undefined>;
  /** Forgets the tenant's charged runs (its quota went: nothing keeps them current). */
  forget(tenant: string, day: number): Promise<void>;
  /** Counts a run in progress unless the tenant has `limit` of them (null: no limit). */
  acquireSlot(tenant: string, limit: number | null): Promise<Slot>;
  /** The tenant's runs in progress. */
  running(tenant: string): Promise<number>;
  close(): Promise<void>;
}
