/**
 * Prometheus metrics on a registry of our own. Process metrics come from
 * Deno's and Node's APIs (prom-client's default collectors read 0 under
 * Deno, and report a Node.js that is not running); host processes report
 * their own; gauges that mirror live state are read at scrape time.
 */
import client from "prom-client";
import { cpuSeconds, rssBytes, startTimeSeconds } from "./process_stats.ts";
import { PRIORITIES, type Priority } from "../scheduler/priority_queue.ts";
import type { InstanceCounts, PoolCounts } from "../sandbox/pool.ts";
import type { Runtime } from "../protocol/host_messages.ts";

/** Live state the gauges read at scrape time. */
export interface MetricsSources {
  queuedByPriority(): Record<Priority, number>;
  poolCounts(): Record<Runtime, PoolCounts>;
  instanceCounts(): Record<Runtime, InstanceCounts>;
  /** What the live host processes last reported of themselves. */
  hostStats(): Record<Runtime, { rssBytes?: number; cpuSeconds: number }[]>;
  /** Jobs queued and running in the job store (shared by replicas on Redis). */
  jobCounts(): Promise<{ queued: number; running: number }>;
  /** Live sessions by language. */
  sessionCounts?(): Record<string, number>;
  /** Host processes given to one session each, by runtime. */
  sessionHostCounts?(): Record<Runtime, number>;
}

/** What the service is built from, for `faas_build_info`. */
export interface BuildInfo {
  version: string;
  deno: string;
  pyodide: string;
  python: string;
}

/** What shapes the metrics. */
export interface MetricsOptions {
  /** The longest a run may take, ms: the run-duration buckets reach it. */
  maxTimeoutMs: number;
  build: BuildInfo;
}

/** HTTP methods counted by name; any other is counted as "other". */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The `method` label for a request's method: a bounded set. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "other";
}

/** Histogram buckets for run durations: fine below a second, up to `maxS` exactly. */
export function runDurationBuckets(maxS: number): number[] {
  const steps = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return [...steps, 30, 60, 120, 300, 600, 1800].filter((b) => b < maxS).concat(maxS);
}

/** The service's metrics. */
export class Metrics {
  readonly registry = new client.Registry();
  readonly runs: client.Counter<"language" | "status">;
  readonly runDuration: client.Histogram<"language">;
  readonly queueWait: client.Histogram<"priority">;
  readonly instanceStarts: client.Counter<"language" | "reason">;
  readonly instanceExits: client.Counter<"language" | "reason">;
  readonly instanceDrops: client.Counter<"language" | "reason">;
  readonly runsDemoted: client.Counter<"language">;
  readonly rejections: client.Counter<"reason">;
  readonly httpRequests: client.Counter<"route" | "method" | "status">;
  readonly instanceStartDuration: client.Histogram<"language" | "kind">;
  readonly runCpu: client.Histogram<"language">;
  readonly runMemory: client.Histogram<"language">;
  readonly runPhases: client.Histogram<"language" | "phase">;
  readonly sessionEvents: client.Counter<"language" | "event">;
  #sources?: MetricsSources;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.#processMetrics();
    new client.Gauge({
      name: "faas_build_info",
      help: "Always 1; the labels say what the service runs on.",
      labelNames: ["version", "deno", "pyodide", "python"],
      registers,
    }).set({ ...options.build }, 1);
    this.runs = new client.Counter({
      name: "faas_runs_total",
      help: "Finished runs by language and status.",
      labelNames: ["language", "status"],
      registers,
    });
    this.runDuration = new client.Histogram({
      name: "faas_run_duration_seconds",
      help: "Execution time of runs inside their instance.",
      labelNames: ["language"],
      buckets: runDurationBuckets(options.maxTimeoutMs / 1000),
      registers,
    });
    this.runCpu = new client.Histogram({
      name: "faas_run_cpu_seconds",
      help: "CPU time of the host process during each run.",
      labelNames: ["language"],
      buckets: runDurationBuckets(options.maxTimeoutMs / 1000),
      registers,
    });
    this.runMemory = new client.Histogram({
      name: "faas_run_memory_bytes",
      help: "Memory each run added to its instance (Python: interpreter heap growth; JS: V8 heap " +
        "in use growth), as memory_peak_bytes.",
      labelNames: ["language"],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048].map((mb) => mb * 2 ** 20),
      registers,
    });
    this.runPhases = new client.Histogram({
      name: "faas_run_phase_seconds",
      help: "Where answered runs' time went on the server, by phase: parse (read and validate), " +
        "queue, start (bind a spare or start an instance), run (host round trip and " +
        "execution), exec (execution in the instance), reply (build the answer).",
      labelNames: ["language", "phase"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5]
        .concat(runDurationBuckets(options.maxTimeoutMs / 1000).filter((b) => b > 0.5)),
      registers,
    });
    this.queueWait = new client.Histogram({
      name: "faas_queue_wait_seconds",
      help: "Time runs waited in the queue before an instance took them.",
      labelNames: ["priority"],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    });
    const sources = () => this.#sources;
    new client.Gauge({
      name: "faas_queue_depth",
      help: "Runs waiting in the queue by priority.",
      labelNames: ["priority"],
      registers,
      collect() {
        const queued = sources()?.queuedByPriority();
        for (const p of PRIORITIES) this.set({ priority: p }, queued?.[p] ?? 0);
      },
    });
    new client.Gauge({
      name: "faas_jobs",
      help: "Jobs queued and running in the job store (with Redis: every replica's, the same " +
        "figure on each replica).",
      labelNames: ["status"],
      registers,
      async collect() {
        const counts = await sources()?.jobCounts().catch(() => undefined);
        if (!counts) return;
        this.set({ status: "queued" }, counts.queued);
        this.set({ status: "running" }, counts.running);
      },
    });
    new client.Gauge({
      name: "faas_instances",
      help: "Instances (workers) by language runtime and state: keyed, spare, starting.",
      labelNames: ["language", "state"],
      registers,
      collect() {
        const all = sources()?.instanceCounts();
        if (!all) return;
        for (const [runtime, counts] of Object.entries(all)) {
          for (const state of ["keyed", "spare", "starting"] as const) {
            this.set({ language: runtime, state }, counts[state]);
          }
        }
      },
    });
    new client.Gauge({
      name: "faas_hosts",
      help: "Host processes by language runtime and state.",
      labelNames: ["language", "state"],
      registers,
      collect() {
        const pools = sources()?.poolCounts();
        if (!pools) return;
        for (const [runtime, counts] of Object.entries(pools)) {
          for (const state of ["idle", "busy", "starting"] as const) {
            this.set({ language: runtime, state }, counts[state]);
          }
        }
      },
    });
    // Summed over the live hosts of each runtime, from what they last reported.
    const perRuntime = (
      name: string,
      help: string,
      read: (h: { rssBytes?: number; cpuSeconds: number }) => number,
    ) =>
      new client.Gauge({
        name,
        help,
        labelNames: ["language"],
        registers,
        collect() {
          const hosts = sources()?.hostStats();
          if (!hosts) return;
          for (const [runtime, list] of Object.entries(hosts)) {
            this.set({ language: runtime }, list.reduce((a, h) => a + read(h), 0));
          }
        },
      });
    perRuntime(
      "faas_host_cpu_seconds",
      "CPU seconds (user + system) used so far by the live host processes, by language.",
      (h) => h.cpuSeconds,
    );
    perRuntime(
      "faas_host_resident_memory_bytes",
      "Resident memory of the live host processes, summed by language.",
      (h) => h.rssBytes ?? 0,
    );
    this.instanceStartDuration = new client.Histogram({
      name: "faas_instance_start_seconds",
      help: "Time from asking for an instance (worker) to its being ready, by language and " +
        "kind: spare (started ahead) or bound (a run waited for it).",
      labelNames: ["language", "kind"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10],
      registers,
    });
    this.runsDemoted = new client.Counter({
      name: "faas_runs_demoted_total",
      help: "Runs that kept their thread busy past FAAS_DEMOTE_AFTER_MS and were given the " +
        "lowest CPU priority, by language.",
      labelNames: ["language"],
      registers,
    });
    this.instanceStarts = new client.Counter({
      name: "faas_instance_starts_total",
      help: "Host processes started, by reason (warm, demand, replace).",
      labelNames: ["language", "reason"],
      registers,
    });
    this.instanceExits = new client.Counter({
      name: "faas_instance_recycles_total",
      help: "Host processes ended, by reason.",
      labelNames: ["language", "reason"],
      registers,
    });
    this.instanceDrops = new client.Counter({
      name: "faas_instances_dropped_total",
      help: "Instances (workers) ended while their host lived on, by reason " +
        "(single_use, run_limit, retired, idle, evicted, failed).",
      labelNames: ["language", "reason"],
      registers,
    });
    this.rejections = new client.Counter({
      name: "faas_rejections_total",
      help: "Requests refused without running, by reason (queue_full, queue_timeout, " +
        "unavailable, client_gone, cancelled, key_rate_limit, key_concurrency).",
      labelNames: ["reason"],
      registers,
    });
    new client.Gauge({
      name: "faas_sessions",
      help: "Live sessions by language.",
      labelNames: ["language"],
      registers,
      collect() {
        const counts = sources()?.sessionCounts?.() ?? {};
        for (const [language, n] of Object.entries(counts)) this.set({ language }, n);
      },
    });
    new client.Gauge({
      name: "faas_session_hosts",
      help: "Host processes given to one session each, by language runtime (not in faas_hosts).",
      labelNames: ["language"],
      registers,
      collect() {
        const counts = sources()?.sessionHostCounts?.();
        if (!counts) return;
        for (const [language, n] of Object.entries(counts)) this.set({ language }, n);
      },
    });
    this.sessionEvents = new client.Counter({
      name: "faas_sessions_total",
      help: "Sessions created and ended, by language and event (created, expired, deleted, " +
        "killed, shutdown).",
      labelNames: ["language", "event"],
      registers,
    });
    this.httpRequests = new client.Counter({
      name: "faas_http_requests_total",
      help: "HTTP requests by route, method and status.",
      labelNames: ["route", "method", "status"],
      registers,
    });
  }

  /** Metrics of this (the server) process, read at scrape time. */
  #processMetrics(): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new client.Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    let counted = 0;
    new client.Counter({
      name: "process_cpu_seconds_total",
      help: "CPU seconds (user + system) of the server process.",
      registers,
      collect() {
        const now = cpuSeconds();
        if (now <= counted) return;
        this.inc(now - counted);
        counted = now;
      },
    });
    gauge("process_resident_memory_bytes", "Resident memory of the server process.", rssBytes);
    gauge(
      "process_start_time_seconds",
      "Start time of the server process, seconds since the epoch.",
      startTimeSeconds,
    );
    gauge(
      "deno_heap_used_bytes",
      "V8 heap used by the server process.",
      () => Deno.memoryUsage().heapUsed,
    );
    gauge(
      "deno_heap_total_bytes",
      "V8 heap size of the server process.",
      () => Deno.memoryUsage().heapTotal,
    );
  }

  /** Connects the gauges to the live scheduler and pools. */
  setSources(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Prometheus text exposition. */
  async render(): Promise<string> {
    return await this.registry.metrics();
  }

  /** Content type of `render()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
