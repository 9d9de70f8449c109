/** `GET /health` and `GET /health/live`. */
import { Hono } from "hono";
import type { SchedulerStats } from "../scheduler/scheduler.ts";
import type { InstanceCounts, PoolCounts } from "../sandbox/pool.ts";
import type { Runtime } from "../protocol/host_messages.ts";

/** Overall state the health route reports. */
export type HealthStatus = "healthy" | "degraded" | "starting" | "draining";

/** A pool's counts plus what /health reports about its start-up. */
export interface PoolHealth extends PoolCounts {
  instances: InstanceCounts;
  warm: number;
  startFailures: number;
  lastStartError: string;
  /** Why the runtime cannot serve runs now; undefined while it can. */
  failure?: string;
}

/** What the health routes read. */
export interface HealthSources {
  version: string;
  startedAt: number;
  accepting(): boolean;
  started(): boolean;
  pools(): Record<Runtime, PoolHealth>;
  scheduler(): SchedulerStats;
}

/**
 * Decides the health status from pool state: `healthy` whenever every
 * runtime can serve runs (a host being replaced still takes runs: they
 * queue for the replacement), `degraded` when one cannot.
 */
export function healthStatus(src: HealthSources): HealthStatus {
  if (!src.accepting()) return "draining";
  if (Object.values(src.pools()).some((p) => p.failure !== undefined)) return "degraded";
  return src.started() ? "healthy" : "starting";
}

/** The health routes. */
export function healthRoutes(src: HealthSources): Hono {
  const app = new Hono();
  app.get("/health/live", (c) => c.json({ status: "alive" }));
  app.get("/health", (c) => {
    const status = healthStatus(src);
    const stats = src.scheduler();
    const pools = Object.fromEntries(
      Object.entries(src.pools()).map(([runtime, p]) => [runtime, {
        total: p.total,
        idle: p.idle,
        busy: p.busy,
        starting: p.starting,
        instances: p.instances,
        warm_target: p.warm,
        start_failures: p.startFailures,
        ...(p.startFailures > 0 ? { last_start_error: p.lastStartError } : {}),
        can_serve: p.failure === undefined,
        ...(p.failure !== undefined && { failure: p.failure }),
      }]),
    );
    const all = Object.values(src.pools());
    const sum = (k: "total" | "idle" | "busy") => all.reduce((n, p) => n + p[k], 0);
    const body = {
      status,
      timestamp: new Date().toISOString(),
      version: src.version,
      // The host counts of every runtime, in the coze-loop contract's shape.
      pool: {
        totalInstances: sum("total"),
        idleInstances: sum("idle"),
        activeInstances: sum("busy"),
      },
      uptime_s: Math.round((Date.now() - src.startedAt) / 1000),
      pools,
      scheduler: {
        queued: stats.queued,
        running: stats.running,
        completed: stats.completed,
        failed: stats.failed,
        mean_execution_ms: Math.round(stats.meanExecutionMs * 1000) / 1000,
      },
    };
    // Readiness: orchestrators stop sending traffic while a runtime cannot
    // serve; /health/live stays 200, so nobody restarts the service for it.
    const ok = status === "healthy";
    if (!ok) c.header("Retry-After", "1");
    return c.json(body, ok ? 200 : 503);
  });
  return app;
}
