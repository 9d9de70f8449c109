/** What the jobs routes need, shared by the routes and the submission handler. */
import type { Context } from "hono";
import type { JobRunner } from "../jobs/runner.ts";
import type { JobStore } from "../jobs/types.ts";
import type { AppEnv, RunCodeDeps } from "./run_code.ts";
import type { QuotaGate } from "../admin/quota_gate.ts";

/** What the jobs routes need. */
export interface JobsDeps
  extends Pick<RunCodeDeps, "defaultTimeoutMs" | "maxTimeoutMs" | "isolation" | "tenantSource"> {
  store: JobStore;
  runner: JobRunner;
  maxBatch: number;
  /** FAAS_JOB_MAX_ATTEMPTS: the most `max_attempts` a job may ask for. */
  maxAttempts: number;
  /** Result bytes an owner's kept jobs may hold before its new runs are refused. */
  maxOwnerBytes: number;
  /** Charges runs to the caller's per-minute budget; throws when over it. */
  chargeRuns(c: Context<AppEnv>, runs: number): void;
  /**
   * Tenants' quotas: a submission is admitted whole or refused (each run of
   * a batch counts); runs of jobs already queued are not checked again.
   */
  quotas?: QuotaGate;
}
