/**
 * `POST /jobs`: a `/run_code` body, or `{"runs": [...]}` for a batch, queued
 * as jobs owned by the caller's API key and tenant.
 *
 * A batch belongs to one tenant: entries naming different tenants are
 * refused (400 naming `runs.<index>.tenant`) rather than split between
 * owners, so one Idempotency-Key and one budget cover the whole batch.
 * Each entry may add `max_attempts` and `retry_on` (`job_retry_fields.ts`).
 */
import type { Context } from "hono";
import {
  BadRequestError,
  ConflictError,
  type FieldIssue,
  JobStorageFullError,
} from "../core/errors.ts";
import { ownerOf } from "../jobs/owner.ts";
import type { Job, JobClient, JobRun } from "../jobs/types.ts";
import type { JobsDeps } from "./jobs_deps.ts";
import type { AppEnv } from "./app_env.ts";
import { parseBody, type PreparedRun, prepareRun } from "./run_prepare.ts";
import { quote } from "./run_request.ts";
import { callerOf } from "./tenant.ts";
import { admitRuns } from "./quota_admission.ts";
import { RETRY_FIELDS, retryFieldsOf } from "./job_retry_fields.ts";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

type RetryPolicy = Pick<JobRun, "maxAttempts" | "retryOn">;

/** Builds the handler. */
export function submitHandler(deps: JobsDeps) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const body = parseBody(new Uint8Array(await c.req.arrayBuffer()));
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new BadRequestError("Invalid request: check Idempotency-Key", [
        { field: "Idempotency-Key", message: "Must be 1 to 200 printable ASCII characters" },
      ]);
    }
    const batch = body !== null && typeof body === "object" && !Array.isArray(body) &&
      "runs" in body;
    const entries = batch ? (body as { runs: unknown }).runs : [body];
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > deps.maxBatch) {
      throw new BadRequestError("Invalid request: check runs", [
        { field: "runs", message: `Must be an array of 1 to ${deps.maxBatch} run requests` },
      ]);
    }
    const header = (name: string) => c.req.header(name);
    const caller = callerOf(c);
    const keyId = caller.keyId;
    // Every entry is checked before any is queued; errors name the entry.
    const issues: FieldIssue[] = [];
    const runs: { prepared: PreparedRun; tenant: string | undefined; retry: RetryPolicy }[] = [];
    entries.forEach((entry, i) => {
      try {
        const field = batch ? `runs.${i}` : "";
        const prepared = prepareRun(entry, header, caller, deps, field);
        const retry = retryFieldsOf(entry, field, deps.maxAttempts);
        prepared.ignoredFields = prepared.ignoredFields.filter((f) => !RETRY_FIELDS.includes(f));
        // The tenant without the key's namespace: the owner adds the key.
        runs.push({ prepared, tenant: prepared.tenant, retry });
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        issues.push(...err.details);
      }
    });
    if (!issues.length) issues.push(...tenantIssues(runs.map((r) => r.tenant), "runs"));
    if (issues.length) {
      const fields = [...new Set(issues.map((d) => d.field))].join(", ");
      throw new BadRequestError(`Invalid request: check ${fields}`, issues);
    }
    const owner = ownerOf(keyId, runs[0].tenant);
    // The same key again from the same owner: the jobs made the first
    // time, if this is the same request; a different one is a conflict.
    if (key !== undefined) {
      const earlier = await earlierJobs(deps, owner, key, batch, runs.length);
      if (earlier) {
        const same = earlier.batch === batch && earlier.jobs.length === runs.length &&
          earlier.jobs.every((job, i) => job && sameRun(job, runs[i].prepared, runs[i].retry));
        if (!same) {
          throw new ConflictError(
            `Idempotency-Key ${quote(key)} was used for a different request`,
            [{
              field: "Idempotency-Key",
              message: "Already used for another request by this caller; send a new key",
            }],
          );
        }
        return accepted(c, batch, earlier.jobs as Job[]);
      }
    }
    await checkBudget(deps, owner);
    const admission = await admitRuns(
      c,
      deps.quotas,
      runs[0].prepared.request.account,
      runs.length,
      false,
    );
    // Each run of a batch counts toward the key's runs per minute.
    try {
      deps.chargeRuns(c, runs.length);
    } catch (err) {
      admission.settle(false);
      throw err;
    }
    const now = Date.now();
    const jobs: Job[] = runs.map(({ prepared, retry }, i) => {
      const job = newJob(prepared, owner, now);
      return {
        ...job,
        run: { ...job.run, ...retry },
        ...(key !== undefined && { idempotencyKey: batch ? `${key}#${i}` : key }),
      };
    });
    try {
      await deps.runner.submit(jobs);
    } catch (err) {
      admission.settle(false);
      throw err;
    }
    admission.settle(true);
    return accepted(c, batch, jobs);
  };
}

/** A queued job of `owner` for a prepared run; `client` for one asked through another API. */
export function newJob(
  prepared: PreparedRun,
  owner: string,
  now: number,
  client?: JobClient,
): Job {
  return {
    id: crypto.randomUUID(),
    owner,
    status: "queued",
    attempts: 0,
    run: {
      request: prepared.request,
      timeoutClamped: prepared.timeoutClamped,
      ignoredFields: prepared.ignoredFields,
      ...(client && { client }),
    },
    createdAt: now,
  };
}

/**
 * Issues for a batch whose entries name different tenants: a batch
 * belongs to one tenant, so one budget covers it. `list` names the batch's
 * array field (`runs`, `submissions`).
 */
export function tenantIssues(tenants: (string | undefined)[], list: string): FieldIssue[] {
  const first = tenants[0];
  const name = (t: string | undefined) => t === undefined ? "none" : quote(t);
  return tenants.flatMap((tenant, i) =>
    tenant === first ? [] : [{
      field: `${list}.${i}.tenant`,
      message: `Must be the tenant of ${list}.0 (${name(first)}), not ${
        name(tenant)
      }: a batch belongs to one tenant; submit one batch per tenant`,
    }]
  );
}

/**
 * Refuses new runs of an owner whose kept jobs hold its whole budget of
 * result bytes; they are taken again as finished jobs expire.
 */
export async function checkBudget(deps: Pick<JobsDeps, "store" | "maxOwnerBytes">, owner: string) {
  const used = await deps.store.resultBytes(owner);
  if (used >= deps.maxOwnerBytes) throw new JobStorageFullError(used, deps.maxOwnerBytes);
}

function accepted(c: Context<AppEnv>, batch: boolean, jobs: Job[]): Response {
  if (!batch) {
    c.header("Location", `/jobs/${jobs[0].id}`);
    return c.json({ id: jobs[0].id, status: jobs[0].status }, 202);
  }
  return c.json({
    ids: jobs.map((j) => j.id),
    jobs: jobs.map((j) => ({ id: j.id, status: j.status })),
  }, 202);
}

/**
 * The jobs an earlier submission made under `key`, in either form (one run
 * under the key itself, a batch under `key#i`), or undefined for none.
 */
async function earlierJobs(
  deps: JobsDeps,
  owner: string,
  key: string,
  batch: boolean,
  count: number,
): Promise<{ batch: boolean; jobs: (Job | undefined)[] } | undefined> {
  const single = await deps.store.byIdempotencyKey(owner, key);
  if (single) return { batch: false, jobs: [single] };
  if (!await deps.store.byIdempotencyKey(owner, `${key}#0`)) return undefined;
  // One more than this request has tells a longer earlier batch.
  const jobs = await Promise.all(
    Array.from(
      { length: batch ? count + 1 : 2 },
      (_, i) => deps.store.byIdempotencyKey(owner, `${key}#${i}`),
    ),
  );
  while (jobs.length && jobs[jobs.length - 1] === undefined) jobs.pop();
  return { batch: true, jobs };
}

/**
 * Whether a stored job was made from the same run request. The owner (key
 * and tenant) is the same by construction; the isolation key is not
 * compared, since in `run` mode it is new for every request.
 */
function sameRun(job: Job, prepared: PreparedRun, retry: RetryPolicy): boolean {
  const a = job.run.request;
  const b = prepared.request;
  return job.run.maxAttempts === retry.maxAttempts &&
    JSON.stringify(job.run.retryOn) === JSON.stringify(retry.retryOn) &&
    a.language === b.language && a.code === b.code && a.input === b.input &&
    a.stdin === b.stdin && a.timeoutMs === b.timeoutMs && a.priority === b.priority &&
    JSON.stringify(a.args ?? []) === JSON.stringify(b.args ?? []) &&
    JSON.stringify(a.files ?? []) === JSON.stringify(b.files ?? []);
}
