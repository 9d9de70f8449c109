/**
 * The Judge0 CE API, as far as Python, JavaScript and TypeScript go:
 * `GET /about`, `GET /config_info`, `GET /languages` (and `/all`), `GET
 * /languages/{id}`, `GET /statuses`, `POST /submissions` (`?wait=true`
 * answers with the result), `GET /submissions/{token}`, and `POST`/`GET
 * /submissions/batch`.
 *
 * A submission is a job: it is queued, run, retried and kept by the jobs
 * machinery like one from `POST /jobs`, its token is the job's id (so
 * `GET /jobs/{token}` shows it too), and it belongs to the API key and
 * tenant that made it. Everything Judge0-specific is translation: the
 * request into a run (`judge0_submission.ts`), the stored job into
 * Judge0's body (`judge0_result.ts`).
 */
import { type Context, Hono } from "hono";
import { BadRequestError, type FieldIssue, NotFoundError } from "../core/errors.ts";
import { ownerOf } from "../jobs/owner.ts";
import type { Job } from "../jobs/types.ts";
import type { AppEnv } from "./app_env.ts";
import type { JobsDeps } from "./jobs_deps.ts";
import { checkBudget, newJob, tenantIssues } from "./jobs_submit.ts";
import { parseBody } from "./run_prepare.ts";
import { quote } from "./run_request.ts";
import type { RuntimeInfo } from "./runtimes.ts";
import { admitRuns } from "./quota_admission.ts";
import { callerOf, requestTenant } from "./tenant.ts";
import { Judge0Languages } from "./judge0_languages.ts";
import { JUDGE0_STATUSES } from "./judge0_statuses.ts";
import { parseFields, submissionBody } from "./judge0_result.ts";
import { type PreparedSubmission, prepareSubmission } from "./judge0_submission.ts";
import { aboutBody, configInfo } from "./judge0_system.ts";

/** What the Judge0 routes need: the jobs machinery, what the runtimes are, and the limits. */
export interface Judge0Deps extends JobsDeps {
  runtimes: readonly RuntimeInfo[];
  /** Most bytes a submission's `additional_files` may unpack to. */
  maxUnpackedBytes: number;
  /** Memory an instance may use, bytes. */
  memoryLimitBytes: number;
  /** Cap on each of a run's stdout and stderr, bytes. */
  maxOutputBytes: number;
  /** Most runs waiting in the queue. */
  maxQueue: number;
  /** The service's version, for `GET /about`. */
  version: string;
}

/**
 * How long `wait=true` waits beyond the run's own timeout, for its turn in
 * the queue; past that it answers with the submission as it is then.
 */
export const WAIT_MARGIN_MS = 60_000;

/** A `true`/`false` query parameter (absent: false); anything else is refused, naming it. */
function flag(c: Context<AppEnv>, name: string): boolean {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return false;
  const value = raw.toLowerCase();
  if (value === "true" || value === "false") return value === "true";
  throw new BadRequestError(`Invalid request: check ${name}`, [
    { field: name, message: `Must be true or false, got ${quote(raw)}` },
  ]);
}

/** Builds the routes. */
export function judge0Routes(deps: Judge0Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const languages = new Judge0Languages(deps.runtimes);
  const submissionDeps = { ...deps, languages };
  const header = (c: Context<AppEnv>) => (name: string) => c.req.header(name);
  // Reading names its tenant by header, as reading a job does.
  const reader = (c: Context<AppEnv>) =>
    ownerOf(
      c.get("keyId"),
      requestTenant(undefined, header(c), deps.tenantSource, "", callerOf(c).tenant),
    );

  /** Queues prepared submissions as jobs of one owner, charged as one request's runs. */
  const queue = async (c: Context<AppEnv>, runs: PreparedSubmission[]): Promise<Job[]> => {
    const owner = ownerOf(c.get("keyId"), runs[0].prepared.tenant);
    await checkBudget(deps, owner);
    // Submissions are admitted against the tenant's quota like any job.
    const admission = await admitRuns(
      c,
      deps.quotas,
      runs[0].prepared.request.account,
      runs.length,
      false,
    );
    try {
      deps.chargeRuns(c, runs.length);
      const now = Date.now();
      const jobs = runs.map(({ prepared, client }) => newJob(prepared, owner, now, client));
      await deps.runner.submit(jobs);
      admission.settle(true);
      return jobs;
    } catch (err) {
      admission.settle(false);
      throw err;
    }
  };

  app.get(
    "/about",
    (c) => c.json(aboutBody(new URL("/docs", c.req.url).href, `faas-sandbox ${deps.version}`)),
  );
  const config = configInfo(deps);
  app.get("/config_info", (c) => c.json(config));

  app.get("/languages", (c) => c.json(languages.list().map(({ id, name }) => ({ id, name }))));
  // None is archived: the list is the same, with the flag.
  app.get(
    "/languages/all",
    (c) => c.json(languages.list().map(({ id, name }) => ({ id, name, is_archived: false }))),
  );

  app.get("/languages/:id", (c) => {
    const raw = c.req.param("id");
    const language = /^\d{1,9}$/.test(raw) ? languages.get(Number(raw)) : undefined;
    if (!language) throw new NotFoundError(`No language with id ${quote(raw)}; see GET /languages`);
    const { id, name, sourceFile } = language;
    return c.json({ id, name, is_archived: false, source_file: sourceFile });
  });

  app.get("/statuses", (c) => c.json(JUDGE0_STATUSES));

  app.post("/submissions", async (c) => {
    const base64 = flag(c, "base64_encoded");
    const wait = flag(c, "wait");
    const fields = parseFields(c.req.query("fields"));
    const parsed = parseBody(new Uint8Array(await c.req.arrayBuffer()));
    const submission = prepareSubmission(
      parsed,
      base64,
      header(c),
      callerOf(c),
      submissionDeps,
    );
    const [job] = await queue(c, [submission]);
    if (!wait) return c.json({ token: job.id }, 201);
    const ms = job.run.request.timeoutMs + WAIT_MARGIN_MS;
    const latest = await deps.runner.wait(job.id, ms, c.req.raw.signal) ?? job;
    return c.json(submissionBody(latest, languages, base64, fields), 201);
  });

  // Before /submissions/:token, which would take "batch" for a token.
  app.post("/submissions/batch", async (c) => {
    const base64 = flag(c, "base64_encoded");
    if (flag(c, "wait")) {
      throw new BadRequestError("Invalid request: check wait", [{
        field: "wait",
        message: "Must be false for a batch: it answers with tokens; read the results with " +
          "GET /submissions/batch?tokens=...",
      }]);
    }
    const parsed = parseBody(new Uint8Array(await c.req.arrayBuffer()));
    const entries = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as { submissions?: unknown }).submissions
      : undefined;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > deps.maxBatch) {
      throw new BadRequestError("Invalid request: check submissions", [{
        field: "submissions",
        message: `Must be an array of 1 to ${deps.maxBatch} submissions`,
      }]);
    }
    // Every entry is checked before any is queued; errors name the entry.
    const issues: FieldIssue[] = [];
    const runs: PreparedSubmission[] = [];
    entries.forEach((entry, i) => {
      try {
        runs.push(
          prepareSubmission(
            entry,
            base64,
            header(c),
            callerOf(c),
            submissionDeps,
            `submissions.${i}`,
          ),
        );
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        issues.push(...err.details);
      }
    });
    if (!issues.length) {
      issues.push(...tenantIssues(runs.map((r) => r.prepared.tenant), "submissions"));
    }
    if (issues.length) {
      const fields = [...new Set(issues.map((d) => d.field))].join(", ");
      throw new BadRequestError(`Invalid request: check ${fields}`, issues);
    }
    const jobs = await queue(c, runs);
    return c.json(jobs.map((job) => ({ token: job.id })), 201);
  });

  app.get("/submissions/batch", async (c) => {
    const base64 = flag(c, "base64_encoded");
    const fields = parseFields(c.req.query("fields"));
    const tokens = (c.req.query("tokens") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
    if (tokens.length === 0 || tokens.length > deps.maxBatch) {
      throw new BadRequestError("Invalid request: check tokens", [{
        field: "tokens",
        message: `Must be 1 to ${deps.maxBatch} comma-separated submission tokens`,
      }]);
    }
    const owner = reader(c);
    // As Judge0: a token that names no submission of the caller's is a null entry.
    const submissions = await Promise.all(tokens.map(async (token) => {
      const job = await deps.store.get(token);
      return job && job.owner === owner ? submissionBody(job, languages, base64, fields) : null;
    }));
    return c.json({ submissions });
  });

  app.get("/submissions/:token", async (c) => {
    const base64 = flag(c, "base64_encoded");
    const fields = parseFields(c.req.query("fields"));
    const token = c.req.param("token");
    const job = await deps.store.get(token);
    // Another key's or tenant's submission is answered like one that does not exist.
    if (!job || job.owner !== reader(c)) throw new NotFoundError(`No submission ${quote(token)}`);
    return c.json(submissionBody(job, languages, base64, fields));
  });

  return app;
}
