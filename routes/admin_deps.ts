/** What the admin routes need, shared by `admin.ts` and each route module. */
import type { Context } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { AdminStore } from "../admin/types.ts";
import type { AuditLog } from "../admin/audit_log.ts";
import type { ApiKeyRing } from "./auth.ts";
import type { Timeline } from "../metrics/timeline.ts";
import type { SchedulerStats } from "../scheduler/scheduler.ts";
import type { Metering } from "../admin/metering.ts";
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
