/**
 * Schemas of what the service answers, for the OpenAPI document. The
 * request schema is the one `/run_code` validates with (run_request.ts).
 */
import { z } from "zod";

/** Body of every error response. */
export const errorBodySchema = z.object({
  error: z.string().describe("What went wrong, naming the value at fault"),
  details: z.array(z.object({ field: z.string(), message: z.string() })).optional()
    .describe("For 400 and 413: one entry per field at fault"),
  quota: z.enum(["invocations_per_day", "cpu_ms_per_day", "max_concurrent"]).optional()
    .describe("For a tenant's quota exceeded (429): which one"),
  tenant: z.string().optional().describe("For a quota exceeded: the tenant"),
  limit: z.number().optional().describe("For a quota exceeded: its limit"),
  used: z.number().optional().describe(
    "For a quota exceeded: runs admitted today, CPU ms used today, or runs in progress",
  ),
  reset_at: z.string().nullable().optional().describe(
    "For a quota exceeded: when a daily quota starts afresh (the next UTC midnight; " +
      "Retry-After counts the seconds to it); null for max_concurrent (Retry-After: 1)",
  ),
  replica: z.string().optional().describe(
    "For a session on another replica (409) or on one that is gone (410): that replica's id",
  ),
});

/** The 200 response of `/run_code`. */
export const runResponseSchema = z.object({
  output: z.object({
    stdout: z.string(),
    stderr: z.string(),
    ret_val: z.string().describe('The return value as text; "" when none'),
    ret_json: z.unknown().optional().describe(
      'The return value as JSON (tells 42 from "42", None from ""); absent when nothing ' +
        "was returned or the value is not JSON-serializable",
    ),
  }),
  metadata: z.object({
    task_id: z.string(),
    instance_id: z.string().describe("Host and worker that ran the code"),
    instance_source: z.enum(["warm", "spare", "new"]).describe(
      "warm: an instance that ran this isolation key before; spare: a pre-started one, " +
        "now bound to the key; new: one started for this run",
    ),
    language: z.enum(["python", "javascript", "typescript"]),
    status: z.enum([
      "success",
      "error",
      "timeout",
      "memory_limit",
      "killed",
      "cancelled",
      "client_gone",
    ]).describe(
      "cancelled: a job cancelled while it ran; client_gone: stopped because its caller hung up",
    ),
    duration: z.number().int().describe("Run time inside the sandbox, whole ms"),
    duration_ms: z.number().describe("Run time inside the sandbox, ms, to the microsecond"),
    queue_ms: z.number(),
    exit_code: z.number().int(),
    truncated: z.boolean().describe(
      "stdout, stderr or ret_val was cut at FAAS_MAX_OUTPUT_BYTES",
    ),
    timeout_ms: z.number().int(),
    timeout_clamped: z.boolean(),
    cpu_ms: z.number().optional().describe(
      "CPU time of the run's own sandbox thread, ms (absent when the host died)",
    ),
    memory_peak_bytes: z.number().int().optional().describe(
      "Python: the instance's wasm memory after the run (it only grows: its peak so far); " +
        "JS/TS: V8 heap in use by the instance after the run",
    ),
    ignored_fields: z.array(z.string()).describe(
      "Request fields the service does not know: accepted, and ignored",
    ),
    exception: z.object({
      type: z.string(),
      message: z.string(),
      compile: z.literal(true).optional().describe(
        "Present when the code did not compile (a syntax error): none of it ran",
      ),
    }).optional().describe(
      "For status error caused by an exception: its class (Python) or error name (JS)",
    ),
    pool_stats: z.object({
      totalInstances: z.number().int(),
      idleInstances: z.number().int(),
      activeInstances: z.number().int(),
    }),
    files_truncated: z.boolean().optional().describe(
      "With `files`: whether matching files were left out for the caps (100 files, " +
        "FAAS_MAX_OUTPUT_BYTES of content)",
    ),
    files_omitted: z.array(z.string()).optional().describe(
      "When files_truncated: the matching files left out, by name (at most 1000 names)",
    ),
  }),
  files: z.array(z.object({
    name: z.string().describe("Relative to the run's working directory"),
    size: z.number().int().describe("Bytes"),
    content_base64: z.string(),
  })).optional().describe(
    "For a request with return_files: the matching regular files the run left in its " +
      "working directory, by name; absent when the sandbox died",
  ),
  error: z.string().optional().describe("For every status but success and error: what happened"),
});

const poolSchema = z.object({
  total: z.number().int(),
  idle: z.number().int(),
  busy: z.number().int(),
  starting: z.number().int(),
  instances: z.object({
    keyed: z.number().int(),
    spare: z.number().int(),
    starting: z.number().int(),
  }),
  warm_target: z.number().int(),
  start_failures: z.number().int(),
  last_start_error: z.string().optional(),
  can_serve: z.boolean().describe(
    "False once starts keep failing with no instance ready: runs fail at once with 503",
  ),
  failure: z.string().optional().describe("Why the runtime cannot serve, when it cannot"),
});

/** The `/health` document (the same with 200 and 503). */
export const healthSchema = z.object({
  status: z.enum(["healthy", "degraded", "starting", "draining"]).describe(
    "healthy: every language can serve (200); degraded: one cannot (503); starting and " +
      "draining (503)",
  ),
  timestamp: z.string(),
  version: z.string(),
  pool: z.object({
    totalInstances: z.number().int(),
    idleInstances: z.number().int(),
    activeInstances: z.number().int(),
  }).describe("Host processes of every language together"),
  uptime_s: z.number(),
  pools: z.object({ python: poolSchema, javascript: poolSchema }),
  scheduler: z.object({
    queued: z.object({ urgent: z.number(), high: z.number(), normal: z.number(), low: z.number() }),
    running: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    mean_execution_ms: z.number(),
  }),
});

/** The `/runtimes` document. */
export const runtimesSchema = z.object({
  runtimes: z.array(z.object({
    language: z.enum(["python", "javascript", "typescript"]),
    version: z.string().describe("Python's version; V8's for JavaScript; TypeScript's"),
    aliases: z.array(z.string()).describe("Accepted spellings of `language`"),
    engine: z.record(z.string(), z.string()).describe("Pyodide, or Deno and V8, versions"),
    packages: z.array(z.object({ name: z.string(), version: z.string() })).optional()
      .describe("Python: packages beyond the standard library"),
    preloaded: z.array(z.string()).optional().describe("Python: modules imported before any run"),
    globals: z.array(z.string()).optional().describe("JS/TS: globals beyond ECMAScript's own"),
    notes: z.string(),
  })),
});

/** A job, as `GET /jobs/{id}` answers. */
export const jobSchema = z.object({
  id: z.string(),
  status: z.enum(["queued", "running", "done", "cancelled", "dead"]),
  attempts: z.number().int().describe(
    "Runs of the job that reached a sandbox; a run lost before it started (the service " +
      "restarted, its replica died) is not one",
  ),
  created_at: z.string(),
  started_at: z.string().nullable().describe(
    "When the latest attempt reached a sandbox; null before (a running job may still " +
      "wait for a free instance)",
  ),
  finished_at: z.string().nullable(),
  result: runResponseSchema.nullable().describe(
    "When done: the /run_code 200 body, its output cut when it is larger than the job may keep " +
      "(see result_truncated)",
  ),
  result_truncated: z.boolean().describe(
    "Whether `result` was cut to fit FAAS_JOB_MAX_RESULT_BYTES or what was left of the " +
      "owner's FAAS_JOB_MAX_OWNER_BYTES (metadata.truncated is then set too)",
  ),
  result_note: z.string().optional().describe(
    "When result_truncated: the size of the whole result and the limit it was cut to",
  ),
  error: z.string().optional().describe("When dead: why"),
  history: z.array(z.object({
    attempt: z.number().int().describe("1 for the first, counting on across retries"),
    started_at: z.string().nullable(),
    finished_at: z.string(),
    outcome: z.enum(["done", "failed", "cancelled", "lost"]).describe(
      "done: it ran to a result; failed: its sandbox died or the run could not be made; " +
        "lost: the service stopped during it",
    ),
    run_status: z.string().optional().describe("The run's status, when it ran to one"),
    error: z.string().optional(),
    instance_id: z.string().optional(),
  })).describe("Every attempt as it ended, oldest first; a retry adds to it"),
  request: z.object({
    language: z.string(),
    code: z.string(),
    input: z.unknown(),
    stdin: z.string().optional(),
    timeout: z.number().int(),
    priority: z.string(),
  }).optional().describe("When dead (a dead letter): the request the job was made with"),
});

/** A job in a listing: no run, no result. */
export const jobSummarySchema = jobSchema.omit({
  history: true,
  request: true,
  result: true,
  result_truncated: true,
  result_note: true,
});

/** A page of `GET /jobs`. */
export const jobListSchema = z.object({
  jobs: z.array(jobSummarySchema).describe("Oldest first"),
  next: z.string().nullable().describe(
    "Pass as `cursor` for the next page; null on the last one",
  ),
});
