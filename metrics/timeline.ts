/**
 * The last 15 minutes of the service at a glance, in memory: every few
 * seconds one sample of runs per second, latency percentiles, new-key
 * (cold) starts, queue depth, instances by state and memory, plus the
 * latest failed runs. The console's overview reads it through
 * `GET /api/v1/overview`; nothing of it is kept across a restart.
 */
import type { Runtime } from "../protocol/host_messages.ts";
import type { Priority } from "../scheduler/priority_queue.ts";

/** Instances of one runtime by state. */
export interface InstanceStates {
  /** Bound to a key and idle: the next run of that key starts at once. */
  warm: number;
  /** Ready, bound to no key: a new key's run takes one. */
  spare: number;
  starting: number;
  busy: number;
}

/** What the timeline reads at each sample. */
export interface TimelineSources {
  queued(): Record<Priority, number>;
  instances(): Record<Runtime, InstanceStates>;
  /** Resident memory of the sandbox hosts, and the budget they are held to. */
  memory(): { usedBytes: number; budgetBytes: number };
}

/** One sample. */
export interface TimelineSample {
  /** Its end, epoch ms. */
  t: number;
  runs: Record<Runtime, number>;
  runsPerS: number;
  errors: number;
  /** Server-side time of the runs answered in it (queue, start, run), ms; null when none. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Runs that needed an instance of their own (a spare or a new one), and their mean start, ms. */
  cold: number;
  coldStartMs: number | null;
  queued: Record<Priority, number>;
  instances: Record<Runtime, InstanceStates>;
  memory: { usedBytes: number; budgetBytes: number };
}

/** A run that did not succeed, without its code, input or output. */
export interface RecentError {
  t: number;
  language: string;
  status: string;
  /** The exception's class and message, or the service's reason. */
  message: string;
  instance: string;
}

/** What the timeline learns of each finished run. */
export interface FinishedRun {
  runtime: Runtime;
  language: string;
  status: string;
  totalMs: number;
  startMs: number;
  cold: boolean;
  message?: string;
  instance: string;
}

const RECENT_ERRORS = 20;

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, i)] * 10) / 10;
}

/** The ring buffer of samples. */
export class Timeline {
  readonly intervalMs: number;
  readonly keep: number;
  #samples: TimelineSample[] = [];
  #errors: RecentError[] = [];
  #sources: TimelineSources;
  #timer: ReturnType<typeof setInterval> | undefined;
  #window: FinishedRun[] = [];
  #last = Date.now();

  constructor(sources: TimelineSources, intervalMs = 5000, windowMs = 15 * 60_000) {
    this.#sources = sources;
    this.intervalMs = intervalMs;
    this.keep = Math.ceil(windowMs / intervalMs);
  }

  /** Starts sampling. */
  start(): void {
    this.#timer ??= setInterval(() => this.sample(), this.intervalMs);
    Deno.unrefTimer(this.#timer);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Counts a finished run toward the current sample. */
  record(run: FinishedRun): void {
    this.#window.push(run);
    if (run.status !== "success") {
      this.#errors.push({
        t: Date.now(),
        language: run.language,
        status: run.status,
        message: run.message ?? "",
        instance: run.instance,
      });
      if (this.#errors.length > RECENT_ERRORS) this.#errors.shift();
    }
  }

  /** Closes the current sample. */
  sample(now = Date.now()): TimelineSample {
    const runs = this.#window;
    this.#window = [];
    const seconds = Math.max(0.001, (now - this.#last) / 1000);
    this.#last = now;
    const times = runs.map((r) => r.totalMs).sort((a, b) => a - b);
    const cold = runs.filter((r) => r.cold);
    const sample: TimelineSample = {
      t: now,
      runs: {
        python: runs.filter((r) => r.runtime === "python").length,
        javascript: runs.filter((r) => r.runtime === "javascript").length,
      },
      runsPerS: Math.round((runs.length / seconds) * 100) / 100,
      errors: runs.filter((r) => r.status !== "success").length,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      p99: percentile(times, 99),
      cold: cold.length,
      coldStartMs: cold.length
        ? Math.round(cold.reduce((a, r) => a + r.startMs, 0) / cold.length * 10) / 10
        : null,
      queued: this.#sources.queued(),
      instances: this.#sources.instances(),
      memory: this.#sources.memory(),
    };
    this.#samples.push(sample);
    if (this.#samples.length > this.keep) this.#samples.shift();
    return sample;
  }

  /** The samples, oldest first. */
  samples(): TimelineSample[] {
    return [...this.#samples];
  }

  /** The latest failed runs, newest first. */
  recentErrors(): RecentError[] {
    return [...this.#errors].reverse();
  }

  /** What is true now, between samples. */
  current(): Pick<TimelineSample, "queued" | "instances" | "memory"> {
    return {
      queued: this.#sources.queued(),
      instances: this.#sources.instances(),
      memory: this.#sources.memory(),
    };
  }
}
