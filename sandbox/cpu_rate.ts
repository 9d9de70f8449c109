/**
 * A host's CPU rate from its own reports (four a second): the larger of its
 * rate between its last two reports and over about the last second, so a
 * burst shows at once and a short lull in steady work does not.
 */

/** The longer window the rate is taken over, ms. */
const RATE_WINDOW_MS = 1000;

/** CPU seconds reported over time, and the rate they give. */
export class CpuRate {
  /** CPU seconds as last reported. */
  seconds = 0;
  /** Cores kept busy lately. */
  rate = 0;
  /** The last reports' times and CPU seconds, oldest first (about a second's worth). */
  #samples: { at: number; cpuSeconds: number }[] = [];

  /** Takes a report of `cpuSeconds` used so far, made at `at`. */
  note(cpuSeconds: number, at = performance.now()): void {
    const samples = this.#samples;
    const rate = (from: { at: number; cpuSeconds: number }) =>
      at > from.at ? Math.max(0, (cpuSeconds - from.cpuSeconds) / ((at - from.at) / 1000)) : 0;
    if (samples.length > 0) {
      this.rate = Math.max(rate(samples[samples.length - 1]), rate(samples[0]));
    }
    this.seconds = cpuSeconds;
    samples.push({ at, cpuSeconds });
    while (samples.length > 1 && at - samples[0].at > RATE_WINDOW_MS) samples.shift();
  }

  /** Whether the last two reports, and so the short part of `rate`, both came after `t`. */
  since(t: number): boolean {
    const samples = this.#samples;
    return samples.length >= 2 && samples[samples.length - 2].at >= t;
  }
}
