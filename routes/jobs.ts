/**
 * The jobs API: runs submitted now and collected later.
 *
 * - `POST /jobs` with a `/run_code` body, or `{"runs": [...]}` for a batch,
 *   answers 202 with the job id(s); `Idempotency-Key` makes a retried
 *   submission return the job it made the first time.
 * - `GET /jobs/{id}` (`?wait=N` long-polls up to N seconds), `DELETE
 *   /jobs/{id}` cancels, `GET /jobs?status=dead` lists, `POST
 *   /jobs/{id}/retry` queues a dead job again.
 *
 * A caller sees only the jobs it submitted with its API key.
 */
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { EventQueue } from "./event_queue.ts";
import { BadRequestError } from "../errors.ts";
import { isFinished, type JobRunner } from "../jobs/runner.ts";
import type { Job, JobStatus, JobStore } from "../jobs/store.ts";
import { errorResponse } from "./errors.ts";
import { type AppEnv, parseBody, prepareRun, type RunCodeDeps } from "./run_code.ts";

/** What the jobs routes need. */
export interface JobsDeps
  extends Pick<RunCodeDeps, "defaultTimeoutMs" | "maxTimeoutMs" | "isolation"> {
  store: JobStore;
  runner: JobRunner;
  maxBatch: number;
  /** Charges runs to the caller's per-minute budget; throws when over it. */
  chargeRuns(c: Context<AppEnv>, runs: number): void;
}

const STATUSES: readonly JobStatus[] = ["queued", "running", "done", "cancelled", "dead"];
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const MAX_WAIT_S = 60;

/** The JSON form of a job. */
export function jobBody(job: Job): Record<string, unknown> {
  const iso = (ms?: number) => ms === undefined ? null : new Date(ms).toISOString();
  return {
    id: job.id,
    status: job.status,
    attempts: job.attempts,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    result: job.result ?? null,
    ...(job.error && { error: job.error }),
  };
}

/** Builds the routes. */
export function jobRoutes(deps: JobsDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const owner = (c: { get(k: "keyId"): string | undefined }) => c.get("keyId") ?? "";
  const mine = async (c: { get(k: "keyId"): string | undefined }, id: string) => {
    const job = await deps.store.get(id);
    return job && job.owner === owner(c) ? job : undefined;
  };
  const notFound = (id: string) => ({ error: `No job ${JSON.stringify(id)}` });

  app.post("/jobs", async (c) => {
    try {
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
      const who = owner(c);
      if (key !== undefined) {
        const first = await deps.store.byIdempotencyKey(who, batch ? `${key}#0` : key);
        if (first) {
          const found = batch
            ? await Promise.all(
              entries.map((_, i) => deps.store.byIdempotencyKey(who, `${key}#${i}`)),
            )
            : [first];
          return accepted(c, batch, found.filter((j): j is Job => j !== undefined));
        }
      }
      // Every entry is checked before any is queued; errors name the entry.
      const issues: { field: string; message: string }[] = [];
      const jobs: Job[] = [];
      const now = Date.now();
      entries.forEach((entry, i) => {
        try {
          const prepared = prepareRun(
            entry,
            c.req.header("x-tenant-id"),
            c.get("keyId"),
            deps,
            batch ? `runs.${i}` : "",
          );
          jobs.push({
            id: crypto.randomUUID(),
            owner: who,
            status: "queued",
            attempts: 0,
            run: {
              request: prepared.request,
              timeoutClamped: prepared.timeoutClamped,
              ignoredFields: prepared.ignoredFields,
            },
            ...(key !== undefined && { idempotencyKey: batch ? `${key}#${i}` : key }),
            createdAt: now,
          });
        } catch (err) {
          if (!(err instanceof BadRequestError)) throw err;
          issues.push(...err.details);
        }
      });
      if (issues.length) {
        const fields = [...new Set(issues.map((d) => d.field))].join(", ");
        throw new BadRequestError(`Invalid request: check ${fields}`, issues);
      }
      // Each run of a batch counts toward the key's runs per minute.
      deps.chargeRuns(c, jobs.length);
      await deps.runner.submit(jobs);
      return accepted(c, batch, jobs);
    } catch (err) {
      return errorResponse(c, err);
    }
  });

  app.get("/jobs", async (c) => {
    const status = c.req.query("status") ?? "dead";
    if (!STATUSES.includes(status as JobStatus)) {
      return errorResponse(
        c,
        new BadRequestError("Invalid request: check status", [
          { field: "status", message: `Must be one of ${STATUSES.join(", ")}` },
        ]),
      );
    }
    const jobs = await deps.store.list(owner(c), status as JobStatus, 100);
    return c.json({ jobs: jobs.map(jobBody) });
  });

  app.get("/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const raw = c.req.query("wait");
    const wait = raw === undefined ? 0 : Number(raw);
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_S) {
      return errorResponse(
        c,
        new BadRequestError("Invalid request: check wait", [
          { field: "wait", message: `Must be a number of seconds from 0 to ${MAX_WAIT_S}` },
        ]),
      );
    }
    let job = await mine(c, id);
    if (!job) return c.json(notFound(id), 404);
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
    if (!job) return c.json(notFound(id), 404);
    const finished = (j: Job) => ({ event: "result", data: JSON.stringify(jobBody(j)) });
    return streamSSE(c, async (stream) => {
      const events = new EventQueue();
      if (isFinished(job.status)) {
        const out = (job.result as { output?: { stdout?: string; stderr?: string } } | undefined)
          ?.output;
        if (out?.stdout) events.output(1, out.stdout);
        if (out?.stderr) events.output(2, out.stderr);
        events.end(finished(job));
        await events.drain(stream);
        return;
      }
      const watching = deps.runner.watch(id, (chunk) => events.output(chunk.fd, chunk.text));
      for (const chunk of watching.chunks) events.output(chunk.fd, chunk.text);
      // A client that goes away stops the waiting and the watching.
      const gone = new AbortController();
      stream.onAbort(() => {
        gone.abort();
        events.end();
      });
      deps.runner.wait(id, 24 * 3_600_000, gone.signal).then(async (j) => {
        // The last output another replica wrote comes before the result.
        await watching.settle();
        events.end(finished(j ?? job));
      }).catch((err) =>
        events.end({ event: "error", data: JSON.stringify({ error: (err as Error).message }) })
      );
      await events.drain(stream);
      watching.stop();
    });
  });

  app.delete("/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const job = await mine(c, id);
    if (!job) return c.json(notFound(id), 404);
    if (isFinished(job.status)) {
      return c.json({ error: `Job ${id} is already ${job.status}` }, 409);
    }
    await deps.runner.cancel(id);
    return c.json(jobBody({ ...((await deps.store.get(id)) ?? job), status: "cancelled" }));
  });

  app.post("/jobs/:id/retry", async (c) => {
    const id = c.req.param("id");
    const job = await mine(c, id);
    if (!job) return c.json(notFound(id), 404);
    const refused = () =>
      c.json({ error: `Job ${id} is ${job.status}; only dead jobs are retried` }, 409);
    if (job.status !== "dead") return refused();
    // A retry is another run for the key's budget.
    try {
      deps.chargeRuns(c, 1);
    } catch (err) {
      return errorResponse(c, err);
    }
    if (!(await deps.runner.retry(id))) return refused();
    c.header("Location", `/jobs/${id}`);
    return c.json({ id, status: "queued" }, 202);
  });

  return app;
}

function accepted(
  c: { header(name: string, value: string): void; json(body: unknown, status: 202): Response },
  batch: boolean,
  jobs: Job[],
): Response {
  if (!batch) {
    c.header("Location", `/jobs/${jobs[0].id}`);
    return c.json({ id: jobs[0].id, status: jobs[0].status }, 202);
  }
  return c.json({
    ids: jobs.map((j) => j.id),
    jobs: jobs.map((j) => ({ id: j.id, status: j.status })),
  }, 202);
}
