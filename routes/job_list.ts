/**
 * `GET /jobs`: the caller's jobs with a status (dead letters by default),
 * oldest first, as summaries, page by page. API keys only: without them a
 * tenant is whoever names it.
 */
import type { Context } from "hono";
import { BadRequestError, ForbiddenError } from "../core/errors.ts";
import type { JobStatus, JobStore } from "../jobs/types.ts";
import type { AppEnv } from "./app_env.ts";
import { decodeCursor, encodeCursor, summaryBody } from "./job_bodies.ts";

const STATUSES: readonly JobStatus[] = ["queued", "running", "done", "cancelled", "dead"];
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** One page of the jobs of `owner()` (asked only once the caller may list). */
export async function listJobs(
  c: Context<AppEnv>,
  store: JobStore,
  owner: () => string,
): Promise<Response> {
  // Without keys a tenant is whoever names it: a list would hand one
  // tenant's job ids to anyone naming that tenant.
  if (c.get("keyId") === undefined) {
    throw new ForbiddenError("Listing jobs needs an API key", [{
      field: "Authorization",
      message: "Without API keys (FAAS_API_KEYS) jobs are read one at a time by id; " +
        "send a key to list the jobs of your key and tenant",
    }]);
  }
  const status = c.req.query("status") ?? "dead";
  if (!STATUSES.includes(status as JobStatus)) {
    throw new BadRequestError("Invalid request: check status", [
      { field: "status", message: `Must be one of ${STATUSES.join(", ")}` },
    ]);
  }
  const rawLimit = c.req.query("limit");
  const limit = rawLimit === undefined ? DEFAULT_PAGE : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new BadRequestError("Invalid request: check limit", [
      { field: "limit", message: `Must be an integer from 1 to ${MAX_PAGE}` },
    ]);
  }
  const rawCursor = c.req.query("cursor");
  const after = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
  const page = await store.list(owner(), status as JobStatus, limit, after);
  return c.json({
    jobs: page.jobs.map(summaryBody),
    next: page.next ? encodeCursor(page.next) : null,
  });
}
