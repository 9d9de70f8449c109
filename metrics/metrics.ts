/**
 * Prometheus metrics on a registry of our own, plus prom-client's default
 * process metrics. Gauges that mirror live state are read at scrape time.
 */
import client from "prom-client";
import { PRIORITIES, type Priority } from "../scheduler/priority_queue.ts";
import type { InstanceCounts, PoolCounts } from "../sandbox/pool.ts";
import type { Runtime } from "../sandbox/protocol.ts";

/** Live state the gauges read at scrape time. */
export interface MetricsSources {
  queuedByPriority(): Record<Priority, number>;
  poolCounts(): Record<Runtime, PoolCounts>;
  instanceCounts(): Record<Runtime, InstanceCounts>;
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
  readonly rejections: client.Counter<"reason">;
  readonly httpRequests: client.Counter<"route" | "method" | "status">;
  #sources?: MetricsSources;

  constructor() {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
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
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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
      help: "Requests refused without running, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.httpRequests = new client.Counter({
      name: "faas_http_requests_total",
      help: "HTTP requests by route, method and status.",
      labelNames: ["route", "method", "status"],
      registers,
    });
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
