/**
 * How many spares a pool's hosts should keep: enough to cover the new keys
 * that arrive while spares start (Little's law: arrival rate × start time),
 * never fewer than configured, never more than a cap.
 */

/** The window new keys are counted over, ms. */
const WINDOW_MS = 10_000;
/**
 * The shortest span a rate is taken over, ms, so that two keys arriving
 * together do not read as a flood.
 */
const MIN_SPAN_MS = 1_000;
/** Weight of a new start time in the running average. */
const START_WEIGHT = 0.2;
/** Spares per host above which demand is not followed. */
export const MAX_SPARES_PER_HOST = 4;

/** New-key arrivals and instance start times of one pool. */
export class SpareDemand {
  #arrivals: number[] = [];
  #startMs: number | undefined;

  /** A run took a spare or a new instance (a key with no warm instance). */
  noteNewKey(now = performance.now()): void {
    this.#arrivals.push(now);
    this.#trim(now);
  }

  /** An instance became ready `ms` after it was asked for. */
  noteStart(ms: number): void {
    this.#startMs = this.#startMs === undefined
      ? ms
      : this.#startMs + START_WEIGHT * (ms - this.#startMs);
  }

  /**
   * New keys per second over the last window, taken over the span since
   * the oldest arrival in it: a burst shorter than the window reads at its
   * own rate, not spread over the whole window.
   */
  rate(now = performance.now()): number {
    this.#trim(now);
    if (this.#arrivals.length === 0) return 0;
    const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - this.#arrivals[0]));
    return this.#arrivals.length / (span / 1000);
  }

  /**
   * Spares each of `hosts` hosts should keep: `base` when new keys are
   * rare, more when they arrive faster than spares start, up to
   * {@linkcode MAX_SPARES_PER_HOST} (never below `base`; 0 stays 0).
   */
  perHost(hosts: number, base: number, now = performance.now()): number {
    if (base === 0 || hosts === 0 || this.#startMs === undefined) return base;
    // Half again as many as the arrivals during one start, for bursts.
    const wanted = Math.ceil((this.rate(now) * (this.#startMs / 1000) * 1.5) / hosts);
    return Math.max(base, Math.min(MAX_SPARES_PER_HOST, wanted));
  }

  #trim(now: number): void {
    let drop = 0;
    while (drop < this.#arrivals.length && now - this.#arrivals[drop] > WINDOW_MS) drop++;
    if (drop) this.#arrivals.splice(0, drop);
  }
}
