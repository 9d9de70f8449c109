/**
 * Quota counters in this process's memory, for a service on one machine
 * (the SQLite store): a day's runs start from what its usage holds, and
 * every check and charge happens in one turn of the event loop, so two
 * requests cannot both take the last run.
 */
import type { Charge, QuotaCounters, Slot } from "./quota_types.ts";

const NOTHING = () => Promise.resolve();

/** Counters of one process. */
export class LocalQuotaCounters implements QuotaCounters {
  #runs = new Map<string, { day: number; used: number }>();
  #running = new Map<string, number>();

  async chargeRuns(
    tenant: string,
    day: number,
    runs: number,
    limit: number,
    seed: () => Promise<number>,
  ): Promise<Charge> {
    if (this.#runs.get(tenant)?.day !== day) {
      const seeded = await seed();
      // Another charge may have started the day while the seed was read.
      if (this.#runs.get(tenant)?.day !== day) this.#runs.set(tenant, { day, used: seeded });
    }
    const entry = this.#runs.get(tenant)!;
    if (entry.used + runs > limit) return { ok: false, used: entry.used };
    entry.used += runs;
    return { ok: true, used: entry.used - runs };
  }

  refundRuns(tenant: string, day: number, runs: number): Promise<void> {
    const entry = this.#runs.get(tenant);
    if (entry?.day === day) entry.used = Math.max(0, entry.used - runs);
    return Promise.resolve();
  }

  runsCharged(tenant: string, day: number): Promise<number | undefined> {
    const entry = this.#runs.get(tenant);
    return Promise.resolve(entry?.day === day ? entry.used : undefined);
  }

  forget(tenant: string): Promise<void> {
    this.#runs.delete(tenant);
    return Promise.resolve();
  }

  acquireSlot(tenant: string, limit: number | null): Promise<Slot> {
    const running = this.#running.get(tenant) ?? 0;
    if (limit !== null && running >= limit) {
      return Promise.resolve({ ok: false, running, release: NOTHING });
    }
    this.#running.set(tenant, running + 1);
    let released = false;
    const release = () => {
      if (released) return Promise.resolve();
      released = true;
      const now = (this.#running.get(tenant) ?? 1) - 1;
      if (now > 0) this.#running.set(tenant, now);
      else this.#running.delete(tenant);
      return Promise.resolve();
    };
    return Promise.resolve({ ok: true, running, release });
  }

  running(tenant: string): Promise<number> {
    return Promise.resolve(this.#running.get(tenant) ?? 0);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
