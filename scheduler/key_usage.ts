/**
 * What each API key is using, against its limits: runs per minute (a fixed
 * one-minute window) and runs in progress. `/run_code` and the jobs API
 * share one `KeyUsage`, so a key's jobs and its direct runs count together.
 * Usage is per service process: with replicas, each enforces its own.
 */

/** Per-key limits; 0 means unlimited. */
export interface KeyLimits {
  maxConcurrent: number;
  runsPerMinute: number;
}

/** The outcome of charging runs to a key's per-minute budget. */
export interface RateVerdict {
  allowed: boolean;
  /** The limit, 0 when there is none. */
  limit: number;
  /** Runs left in the window after this charge (or before it, if refused). */
  remaining: number;
  /** Seconds until the window starts afresh. */
  resetS: number;
}

interface Usage {
  running: number;
  windowStart: number;
  windowRuns: number;
}

/** Per-key accounting. `now` is injectable for tests. */
export class KeyUsage {
  #limits: KeyLimits;
  #now: () => number;
  #keys = new Map<string, Usage>();

  constructor(limits: KeyLimits, now: () => number = Date.now) {
    this.#limits = { ...limits };
    this.#now = now;
  }

  /** The limits in force. */
  get limits(): Readonly<KeyLimits> {
    return this.#limits;
  }

  /**
   * Applies new limits from the next charge or start on (a setting changed
   * while running); runs in progress and this minute's count are kept.
   */
  setLimits(limits: KeyLimits): void {
    this.#limits = { ...limits };
  }

  #usage(id: string): Usage {
    let u = this.#keys.get(id);
    if (!u) {
      u = { running: 0, windowStart: this.#now(), windowRuns: 0 };
      this.#keys.set(id, u);
    }
    const t = this.#now();
    if (t - u.windowStart >= 60_000) {
      u.windowStart = t;
      u.windowRuns = 0;
    }
    return u;
  }

  /** Charges `runs` to the key's budget for this minute: all of them, or none if they do not fit. */
  charge(id: string, runs: number): RateVerdict {
    const u = this.#usage(id);
    const limit = this.limits.runsPerMinute;
    const resetS = Math.max(1, Math.ceil((u.windowStart + 60_000 - this.#now()) / 1000));
    if (limit > 0 && u.windowRuns + runs > limit) {
      return { allowed: false, limit, remaining: Math.max(0, limit - u.windowRuns), resetS };
    }
    u.windowRuns += runs;
    return { allowed: true, limit, remaining: Math.max(0, limit - u.windowRuns), resetS };
  }

  /** Counts a run in progress, unless the key already has its most; whether it may run. */
  start(id: string): boolean {
    const u = this.#usage(id);
    if (this.limits.maxConcurrent > 0 && u.running >= this.limits.maxConcurrent) return false;
    u.running++;
    return true;
  }

  /** A run counted by `start` ended. */
  end(id: string): void {
    const u = this.#keys.get(id);
    if (u && u.running > 0) u.running--;
  }

  /** Keys that have as many runs in progress as they may. */
  saturated(): string[] {
    if (this.limits.maxConcurrent === 0) return [];
    return [...this.#keys].filter(([, u]) => u.running >= this.limits.maxConcurrent)
      .map(([id]) => id);
  }
}
