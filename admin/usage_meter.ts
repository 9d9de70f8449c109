/**
 * Counts every finished run for its tenant and key. Counting is a few
 * additions in memory; the counts are written to the usage store in one
 * batch a second (and at shutdown), so a run waits for no write. A batch
 * that could not be written is kept and tried again with the next.
 */
import type { Logger } from "../core/log.ts";
import type { RunResult } from "../sandbox/host.ts";
import {
  type Account,
  addCounters,
  DAY_MS,
  dayOf,
  hourOf,
  type UsageCounters,
  type UsageRow,
  type UsageStore,
  zeroCounters,
} from "./usage_types.ts";

/** How often counts are written, ms. */
export const FLUSH_MS = 1000;

/** What one run adds to its counters. */
export function countersOfRun(result: RunResult): UsageCounters {
  return {
    invocations: 1,
    errors: result.status === "error" || result.status === "killed" ? 1 : 0,
    timeouts: result.status === "timeout" ? 1 : 0,
    memoryKills: result.status === "memory_limit" ? 1 : 0,
    cpuMs: result.cpuMs ?? 0,
    wallMs: result.durationMs,
    peakMemoryBytes: result.memoryBytes ?? 0,
  };
}

/** Gathers counts in memory and writes them in batches. */
export class UsageMeter {
  #store: UsageStore;
  #logger: Logger;
  #now: () => number;
  #flushMs: number;
  /** Counts not written yet, by tenant, key and hour. */
  #pending = new Map<string, UsageRow>();
  /** The batch being written: still counted as pending until it is. */
  #writing: UsageRow[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    store: UsageStore,
    logger: Logger,
    options: { now?: () => number; flushMs?: number } = {},
  ) {
    this.#store = store;
    this.#logger = logger;
    this.#now = options.now ?? Date.now;
    this.#flushMs = options.flushMs ?? FLUSH_MS;
  }

  /** Counts a finished run; without an account (a run made outside the routes), nothing. */
  record(account: Account | undefined, result: RunResult): void {
    if (!account) return;
    this.#add({
      tenant: account.tenant,
      keyId: account.keyId,
      hour: hourOf(this.#now()),
      ...countersOfRun(result),
    });
    this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  }

  #add(row: UsageRow): void {
    const id = `${row.hour}\n${row.keyId}\n${row.tenant}`;
    const found = this.#pending.get(id);
    if (found) addCounters(found, row);
    else this.#pending.set(id, { ...row });
  }

  /** Counts not in the store yet (this process's only), optionally one tenant's. */
  pending(tenant?: string): UsageRow[] {
    const all = [...this.#pending.values(), ...this.#writing];
    return tenant === undefined ? all : all.filter((r) => r.tenant === tenant);
  }

  /** One tenant's counts of the UTC day starting at `day` not in the store yet. */
  pendingDay(tenant: string, day: number): UsageCounters {
    const out = zeroCounters();
    for (const r of this.pending(tenant)) {
      if (r.hour >= day && r.hour < day + DAY_MS) addCounters(out, r);
    }
    return out;
  }

  /** The tenant's counters of today (UTC) so far: the store's and those not written yet. */
  async today(tenant: string): Promise<UsageCounters> {
    const day = dayOf(this.#now());
    const pending = this.pendingDay(tenant, day);
    return addCounters(await this.#store.dayTotals(tenant, day), pending);
  }

  /** Writes what is gathered. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing = this.#flushing.then(async () => {
      if (!this.#pending.size) return;
      this.#writing = [...this.#pending.values()];
      this.#pending.clear();
      try {
        await this.#store.addUsage(this.#writing);
      } catch (err) {
        this.#logger.warn("usage could not be written; it is tried again", {
          rows: this.#writing.length,
          reason: err instanceof Error ? err.message : String(err),
        });
        for (const row of this.#writing) this.#add(row);
        this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
      } finally {
        this.#writing = [];
      }
    });
    return this.#flushing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
