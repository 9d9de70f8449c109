/**
 * The admin API under `/api/v1`: keys, the audit log, dead letters, and
 * what the service keeps for many tenants. Roles are checked before these
 * routes (auth.ts): admin keys may do everything here, viewer keys may read.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { AdminStore } from "../admin/types.ts";
import type { AuditLog } from "../admin/audit_log.ts";
import type { ApiKeyRing } from "./auth.ts";
import { keyRoutes } from "./admin_keys.ts";
import { auditRoutes } from "./admin_audit.ts";
import { overviewRoutes } from "./admin_overview.ts";
import type { Timeline } from "../metrics/timeline.ts";
import type { SchedulerStats } from "../scheduler/scheduler.ts";
import type { Metering } from "../admin/metering.ts";
import { usageRoutes } from "./admin_usage.ts";
import { quotaRoutes } from "./admin_quota.ts";
import { dlqRoutes } from "./admin_dlq.ts";
import { settingsRoutes } from "./admin_settings.ts";
import { retentionRoutes } from "./admin_retention.ts";
import type { Retention } from "../admin/retention.ts";
import type { RuntimeSettings } from "../admin/runtime_settings.ts";
import type { JobStore } from "../jobs/types.ts";
import type { JobRunner } from "../jobs/runner.ts";

/** What the admin routes need. */
export interface AdminDeps {
  store: AdminStore;
  audit: AuditLog;
  runnerKeys: ApiKeyRing;
  adminKeys: ApiKeyRing;
  /** The last minutes of the service (absent: the overview answers 404). */
  timeline?: Timeline;
  /** The scheduler's totals. */
  scheduler(): SchedulerStats;
  /** Usage and quotas; without it their routes are not served. */
  metering?: Metering;
  /** The jobs of every owner, and the runner that queues dead ones again. */
  jobs: { store: JobStore; runner: JobRunner };
  /** The settings in effect; without them there are no settings routes. */
  settings?: RuntimeSettings;
  /** What kept data holds and its clean-up; without it there are no retention routes. */
  retention?: Retention;
  /** Records an admin action in the audit log before its answer goes out. */
  record(
    c: Context<AppEnv>,
    action: string,
    target: string,
    before: unknown,
    after: unknown,
  ): Promise<void>;
}

/** Builds `/api/v1`. */
export function adminRoutes(
  deps: Omit<AdminDeps, "record">,
): Hono<AppEnv> {
  const full: AdminDeps = {
    ...deps,
    async record(c, action, target, before, after) {
      const principal = c.get("principal");
      await deps.audit.record({
        actor: principal?.keyId ?? "",
        role: principal?.role ?? "",
        action,
        target,
        outcome: "ok",
        ...(before !== undefined && { before }),
        ...(after !== undefined && { after }),
        requestId: c.get("requestId"),
      });
    },
  };
  const app = new Hono<AppEnv>();
  app.route("/", keyRoutes(full));
  app.route("/", auditRoutes(full));
  app.route("/", overviewRoutes(full));
  if (deps.metering) {
    app.route("/", usageRoutes(deps.metering));
    app.route("/", quotaRoutes(deps.metering.gate, full));
  }
  app.route("/", dlqRoutes(full));
  if (deps.settings) app.route("/", settingsRoutes(full, deps.settings));
  if (deps.retention) app.route("/", retentionRoutes(full, deps.retention));
  return app;
}
