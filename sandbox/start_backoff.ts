/**
 * Failed starts of a pool's hosts and instances, and the backoff after
 * them: each failure in a row doubles the wait before the next start (from
 * 100 ms up to 30 s), so that a broken start is not retried in a hot loop.
 */

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;

/**
 * Failed starts in a row after which a pool with no instance ready counts
 * as unable to serve (a broken start, not a replacement under way).
 */
export const FAILING_AFTER = 3;

/** Failed starts in a row, the last one's reason, and when to try again. */
export class StartBackoff {
  /** Starts that failed in a row (0 once one succeeds). */
  failures = 0;
  /** Why the last failed start failed. */
  lastError = "";
  #retryAt = 0;

  /** Counts a failed start and moves the next try back. */
  failed(message: string, now = performance.now()): void {
    this.failures++;
    this.lastError = message;
    this.#retryAt = now + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
  }

  /** A start succeeded: the count starts again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** How long to wait before the next start, ms (0 or less: now). */
  wait(now = performance.now()): number {
    return this.#retryAt - now;
  }

  /** Whether starts have failed often enough in a row to count as broken. */
  get failing(): boolean {
    return this.failures >= FAILING_AFTER;
  }
}
