/**
 * Admits runs against their tenant's quota before they are queued. A
 * tenant without a quota costs a lookup in a map of the limits, read again
 * from the store at most once a second (so a quota set through another
 * replica holds here within a second); a tenant with one is checked against
 * the counters, which are shared by replicas when they live in Redis.
 */
import { QuotaExceededError } from "../core/errors.ts";
import type { Quota, QuotaCounters, QuotaName, QuotaStore, Slot } from "./quota_types.ts";
import { DAY_MS, dayOf, type UsageCounters } from "./usage_types.ts";

/** What the gate reads. */
export interface GateDeps {
  quotas: QuotaStore;
  counters: QuotaCounters;
  /** The tenant's usage of today (UTC) so far, every replica's writes and this one's pending. */
  today(tenant: string): Promise<UsageCounters>;
  now?: () => number;
  /** How long limits read from the store are used, ms. */
  cacheMs?: number;
}

/** Runs let through. */
export interface Admission {
  /** `X-Quota-Warning` values: `<quota>=<used>/<limit>` for each daily quota past `warnAt`. */
  warnings: string[];
  /**
   * The admitted runs ended. With `ran` false (refused by the scheduler,
   * never run) their runs of the day are given back.
   */
  settle(ran: boolean): void;
}

/** A quota with what it is measured against. */
export interface QuotaStatus {
  quota: Quota;
  used: { invocations: number; cpuMs: number; concurrent: number };
  /** Whether a daily quota is at or past its `warnAt` share. */
  warning: boolean;
  /** When the daily quotas start afresh (the next UTC midnight), epoch ms. */
  resetAt: number;
}

const FREE: Admission = { warnings: [], settle() {} };

/** Quota checks on the run path. */
export class QuotaGate {
  #deps: GateDeps;
  #now: () => number;
  #cacheMs: number;
  #limits = new Map<string, Quota>();
  #loadedAt = -Infinity;
  #loading: Promise<void> | undefined;

  constructor(deps: GateDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#cacheMs = deps.cacheMs ?? 1000;
  }

  /** The tenant's quota, from limits at most `cacheMs` old. */
  async #quota(tenant: string): Promise<Quota | undefined> {
    if (this.#now() - this.#loadedAt > this.#cacheMs) {
      this.#loading ??= this.#deps.quotas.listQuotas().then((all) => {
        this.#limits = new Map(all.map((q) => [q.tenant, q]));
        this.#loadedAt = this.#now();
      }).catch((err) => {
        // Limits read before keep applying while the store cannot be read.
        if (this.#loadedAt === -Infinity) throw err;
      }).finally(() => this.#loading = undefined);
      await this.#loading;
    }
    return this.#limits.get(tenant);
  }

  /**
   * Admits `runs` runs of `tenant` or throws QuotaExceededError. `hold`
   * counts them as in progress until `settle` (runs that start now); a job
   * submission is only checked against the runs in progress.
   */
  async admit(tenant: string, runs: number, hold: boolean): Promise<Admission> {
    const quota = await this.#quota(tenant);
    if (!quota) return FREE;
    const now = this.#now();
    const day = dayOf(now);
    const resetAt = day + DAY_MS;
    const resetS = Math.max(1, Math.ceil((resetAt - now) / 1000));
    const who = `Quota exceeded for tenant ${JSON.stringify(tenant)}`;
    const over = (name: QuotaName, limit: number, used: number, what: string) =>
      new QuotaExceededError(
        `${who}: ${name} is ${limit} and ${what}`,
        tenant,
        name,
        limit,
        used,
        name === "max_concurrent" ? undefined : resetAt,
        name === "max_concurrent" ? 1 : resetS,
      );
    const resets = `it resets at ${new Date(resetAt).toISOString()}`;
    let cpu: number | undefined;
    if (quota.cpuMsPerDay !== null) {
      cpu = (await this.#deps.today(tenant)).cpuMs;
      if (cpu >= quota.cpuMsPerDay) {
        const ms = Math.round(cpu);
        throw over("cpu_ms_per_day", quota.cpuMsPerDay, ms, `${ms} ms were used today; ${resets}`);
      }
    }
    let slot: Slot | undefined;
    if (hold) {
      slot = await this.#deps.counters.acquireSlot(tenant, quota.maxConcurrent);
      if (!slot.ok) {
        const n = slot.running;
        throw over("max_concurrent", quota.maxConcurrent!, n, `${n} ${runsIn(n)} progress`);
      }
    } else if (quota.maxConcurrent !== null) {
      const n = await this.#deps.counters.running(tenant);
      if (n >= quota.maxConcurrent) {
        throw over("max_concurrent", quota.maxConcurrent, n, `${n} ${runsIn(n)} progress`);
      }
    }
    const warnings: string[] = [];
    const limit = quota.invocationsPerDay;
    if (limit !== null) {
      const charge = await this.#deps.counters.chargeRuns(
        tenant,
        day,
        runs,
        limit,
        async () => (await this.#deps.today(tenant)).invocations,
      ).catch(async (err) => {
        await slot?.release();
        throw err;
      });
      if (!charge.ok) {
        await slot?.release();
        const batch = runs > 1 ? ` (a batch of ${runs} does not fit)` : "";
        const what = `${charge.used} runs were admitted today${batch}; ${resets}`;
        throw over("invocations_per_day", limit, charge.used, what);
      }
      const after = charge.used + runs;
      if (after >= quota.warnAt * limit) warnings.push(`invocations_per_day=${after}/${limit}`);
    }
    if (cpu !== undefined && cpu >= quota.warnAt * quota.cpuMsPerDay!) {
      warnings.push(`cpu_ms_per_day=${Math.round(cpu)}/${quota.cpuMsPerDay}`);
    }
    const counters = this.#deps.counters;
    let settled = false;
    return {
      warnings,
      settle(ran: boolean) {
        if (settled) return;
        settled = true;
        slot?.release().catch(() => {});
        if (!ran && limit !== null) counters.refundRuns(tenant, day, runs).catch(() => {});
      },
    };
  }

  /**
   * Counts a run admitted earlier (a job's) as in progress while it runs,
   * without refusing it; what to call when it ends.
   */
  async track(tenant: string): Promise<() => void> {
    if (!(await this.#quota(tenant))) return () => {};
    const slot = await this.#deps.counters.acquireSlot(tenant, null);
    return () => void slot.release().catch(() => {});
  }

  /** Every quota, by tenant, fresh from the store. */
  list(): Promise<Quota[]> {
    return this.#deps.quotas.listQuotas();
  }

  /** One tenant's quota, fresh from the store. */
  get(tenant: string): Promise<Quota | undefined> {
    return this.#deps.quotas.getQuota(tenant);
  }

  /** Sets a quota; it applies here at once. The one it replaced, if any. */
  async put(quota: Quota): Promise<Quota | undefined> {
    const before = await this.#deps.quotas.getQuota(quota.tenant);
    await this.#deps.quotas.putQuota(quota);
    // Runs without a quota were not charged: the day starts again from its usage.
    if (!before) await this.#deps.counters.forget(quota.tenant, dayOf(this.#now()));
    this.#loadedAt = -Infinity;
    return before;
  }

  /** Removes a quota; the removed one, or undefined if there was none. */
  async remove(tenant: string): Promise<Quota | undefined> {
    const removed = await this.#deps.quotas.deleteQuota(tenant);
    await this.#deps.counters.forget(tenant, dayOf(this.#now()));
    this.#loadedAt = -Infinity;
    return removed;
  }

  /** What a quota is measured against now. */
  async status(quota: Quota): Promise<QuotaStatus> {
    const day = dayOf(this.#now());
    const [today, charged, concurrent] = await Promise.all([
      this.#deps.today(quota.tenant),
      this.#deps.counters.runsCharged(quota.tenant, day),
      this.#deps.counters.running(quota.tenant),
    ]);
    const used = { invocations: charged ?? today.invocations, cpuMs: today.cpuMs, concurrent };
    const past = (used: number, limit: number | null) =>
      limit !== null && used >= quota.warnAt * limit;
    return {
      quota,
      used,
      warning: past(used.invocations, quota.invocationsPerDay) ||
        past(used.cpuMs, quota.cpuMsPerDay),
      resetAt: day + DAY_MS,
    };
  }
}

const runsIn = (n: number) => n === 1 ? "run is in" : "runs are in";
