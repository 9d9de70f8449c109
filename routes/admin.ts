/**
 * The admin API under `/api/v1`: keys, the audit log, dead letters, and
 * what the service keeps for many tenants. Roles are checked before these
 * routes (auth.ts): admin keys may do everything here, viewer keys may read.
 */
import { Hono } from "hono";
import type { AdminDeps } from "./admin_deps.ts";
export type { AdminDeps } from "./admin_deps.ts";
import type { AppEnv } from "./app_env.ts";
import { keyRoutes } from "./admin_keys.ts";
import { auditRoutes } from "./admin_audit.ts";
import { overviewRoutes } from "./admin_overview.ts";
import { usageRoutes } from "./admin_usage.ts";
import { quotaRoutes } from "./admin_quota.ts";
import { dlqRoutes } from "./admin_dlq.ts";
import { settingsRoutes } from "./admin_settings.ts";
import { retentionRoutes } from "./admin_retention.ts";

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
