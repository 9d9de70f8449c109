/**
 * The jobs API: runs submitted now and collected later.
 *
 * - `POST /jobs` with a `/run_code` body, or `{"runs": [...]}` for a batch,
 *   answers 202 with the job id(s); `Idempotency-Key` makes a retried
 *   submission return the job it made the first time (see `jobs_submit.ts`).
 * - `GET /jobs/{id}` (`?wait=N` long-polls up to N seconds), `DELETE
 *   /jobs/{id}` cancels, `GET /jobs?status=dead` lists (summaries, paged;
 *   API keys only), `POST /jobs/{id}/retry` queues a dead job again.
 *
 * A job belongs to the API key and the tenant that submitted it; reading it
 * takes the same key and the same tenant (the `X-Tenant-Id` header), and
 * anyone else is told there is no such job.
 */
import { type Context, Hono } from "hono";
import { BadRequestError } from "../core/errors.ts";
import { ownerOf } from "../jobs/owner.ts";
import { isFinished } from "../jobs/runner.ts";
import type { Job } from "../jobs/types.ts";
import { jobBody } from "./job_bodies.ts";
import { listJobs } from "./job_list.ts";
import { jobEvents } from "./job_events.ts";
import { checkBudget, submitHandler } from "./jobs_submit.ts";
import type { JobsDeps } from "./jobs_deps.ts";
export type { JobsDeps } from "./jobs_deps.ts";
import type { AppEnv } from "./app_env.ts";
import { callerOf, requestTenant } from "./tenant.ts";
import { admitRuns } from "./quota_admission.ts";
export { jobBody } from "./job_bodies.ts";

const MAX_WAIT_S = 60;

/** Builds the routes. */
export function jobRoutes(deps: JobsDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // A request without a body names its tenant only by header; it goes
  // through the same rules as a submission's (a trusted gateway's header).
  const owner = (c: Context<AppEnv>) =>
    ownerOf(
      c.get("keyId"),
      requestTenant(
        undefined,
        (name) => c.req.header(name),
        deps.tenantSource,
        "",
        callerOf(c).tenant,
      ),
    );
  const notFound = (c: Context<AppEnv>, id: string) =>
    c.json({ error: `No job ${JSON.stringify(id)}` }, 404);
  /**
   * The caller's job `id`, or the response to send instead: another owner's
   * job is answered like one that does not exist.
   */
  const mine = async (c: Context<AppEnv>, id: string): Promise<Job | Response> => {
    const caller = owner(c);
    const job = await deps.store.get(id);
    return job && job.owner === caller ? job : notFound(c, id);
  };

  app.post("/jobs", submitHandler(deps));

  app.get("/jobs", (c) => listJobs(c, deps.store, () => owner(c)));

  app.get("/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const raw = c.req.query("wait");
    const wait = raw === undefined ? 0 : Number(raw);
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_S) {
      throw (
        new BadRequestError("Invalid request: check wait", [
          { field: "wait", message: `Must be a number of seconds from 0 to ${MAX_WAIT_S}` },
        ])
      );
    }
    const found = await mine(c, id);
    if (found instanceof Response) return found;
    let job = found;
    if (wait > 0 && !isFinished(job.status)) {
      job = await deps.runner.wait(id, wait * 1000, c.req.raw.signal) ?? job;
    }
    return c.json(jobBody(job));
  });

  // The job's output as Server-Sent Events: what its current attempt printed
  // so far, then live, then a `result` event with the job (for a finished
  // job: its output, then the job at once).
  app.get("/jobs/:id/events", async (c) => {
    const id = c.req.param("id");
    const job = await mine(c, id);
    if (job instanceof Response) return job;
    return jobEvents(c, deps.runner, job);
  });

  app.delete("/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const job = await mine(c, id);
    if (job instanceof Response) return job;
    if (isFinished(job.status)) {
      return c.json({ error: `Job ${id} is already ${job.status}` }, 409);
    }
    await deps.runner.cancel(id);
    return c.json(jobBody({ ...((await deps.store.get(id)) ?? job), status: "cancelled" }));
  });

  app.post("/jobs/:id/retry", async (c) => {
    const id = c.req.param("id");
    const job = await mine(c, id);
    if (job instanceof Response) return job;
    const refused = () =>
      c.json({ error: `Job ${id} is ${job.status}; only dead jobs are retried` }, 409);
    if (job.status !== "dead") return refused();
    // A retry is another run: for the owner's storage budget, the key's runs and the quota.
    await checkBudget(deps, job.owner);
    const admission = await admitRuns(c, deps.quotas, job.run.request.account, 1, false);
    try {
      deps.chargeRuns(c, 1);
      if (!(await deps.runner.retry(id))) {
        admission.settle(false);
        return refused();
      }
    } catch (err) {
      admission.settle(false);
      throw err;
    }
    admission.settle(true);
    c.header("Location", `/jobs/${id}`);
    return c.json({ id, status: "queued" }, 202);
  });

  return app;
}
