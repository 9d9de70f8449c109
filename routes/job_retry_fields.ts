/**
 * The retry fields a job submission may add to a `/run_code` body:
 * `max_attempts` (attempts before the job is dead, at most
 * FAAS_JOB_MAX_ATTEMPTS) and `retry_on` (which run outcomes count as
 * failures to try again). Faults are 400s naming the field, inside a batch
 * as `runs.<index>.<field>`.
 */
import { BadRequestError, type FieldIssue } from "../core/errors.ts";
import { RETRY_CAUSES, type RetryCause } from "../jobs/retry_policy.ts";
import type { JobRun } from "../jobs/types.ts";
import { quote } from "./run_request.ts";

/** The body fields read here, which a job's `ignored_fields` never lists. */
export const RETRY_FIELDS: readonly string[] = ["max_attempts", "retry_on"];

/**
 * The retry policy `entry` (a run request object) asks for; `field` prefixes
 * field names in errors, `limit` is FAAS_JOB_MAX_ATTEMPTS.
 */
export function retryFieldsOf(
  entry: unknown,
  field: string,
  limit: number,
): Pick<JobRun, "maxAttempts" | "retryOn"> {
  const body = entry as Record<string, unknown>;
  const name = (f: string) => field ? `${field}.${f}` : f;
  const issues: FieldIssue[] = [];
  const out: Pick<JobRun, "maxAttempts" | "retryOn"> = {};
  const max = body.max_attempts;
  if (max !== undefined) {
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > limit) {
      issues.push({
        field: name("max_attempts"),
        message: `Must be a whole number from 1 to ${limit} (FAAS_JOB_MAX_ATTEMPTS), got ${
          quote(max)
        }`,
      });
    } else out.maxAttempts = max;
  }
  const on = body.retry_on;
  if (on !== undefined) {
    const known = (v: unknown): v is RetryCause => RETRY_CAUSES.includes(v as RetryCause);
    if (!Array.isArray(on) || !on.every(known)) {
      const bad = Array.isArray(on) ? on.find((v) => !known(v)) : on;
      issues.push({
        field: name("retry_on"),
        message: `Must be an array of ${RETRY_CAUSES.join(", ")}; ${quote(bad)} is none of them`,
      });
    } else out.retryOn = [...new Set(on)];
  }
  if (issues.length) {
    throw new BadRequestError(
      `Invalid request: check ${issues.map((i) => i.field).join(", ")}`,
      issues,
    );
  }
  return out;
}
