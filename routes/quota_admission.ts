/**
 * Quotas on the routes that queue runs (`/run_code`, Piston's execute,
 * `POST /jobs`, a job's retry): the runs are admitted against their
 * tenant's quota before they are queued, and the answer carries
 * `X-Quota-Warning` once a daily quota is at or past its warning share.
 */
import type { Context } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { Admission, QuotaGate } from "../admin/quota_gate.ts";
import type { Account } from "../admin/usage_types.ts";

/** The header naming each daily quota at or past its warning share: `<quota>=<used>/<limit>`. */
export const QUOTA_WARNING_HEADER = "X-Quota-Warning";

const FREE: Admission = { warnings: [], settle() {} };

/**
 * Admits `runs` runs of `account`'s tenant, or throws QuotaExceededError
 * (429). `hold`: the runs start now and count as in progress until
 * settled (see `settleWith`); a job submission passes false.
 */
export async function admitRuns(
  c: Context<AppEnv>,
  gate: QuotaGate | undefined,
  account: Account | undefined,
  runs: number,
  hold: boolean,
): Promise<Admission> {
  if (!gate || !account) return FREE;
  const admission = await gate.admit(account.tenant, runs, hold);
  if (admission.warnings.length) c.header(QUOTA_WARNING_HEADER, admission.warnings.join(", "));
  return admission;
}

/** Settles `admission` when `run` does: a run refused before it finished gives its charge back. */
export function settleWith(admission: Admission, run: Promise<unknown>): void {
  run.then(() => admission.settle(true), () => admission.settle(false));
}
