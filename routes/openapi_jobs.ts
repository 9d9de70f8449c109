/** The jobs routes of the OpenAPI document (`openapi.ts`). */
import { RETRY_CAUSES } from "../jobs/retry_policy.ts";

type Json = Record<string, unknown>;

/** How `openapi.ts` describes responses, and its 401 answers (empty without API keys). */
export interface PathHelpers {
  json(ref: string, description: string): Json;
  error(description: string, retryAfter?: boolean): Json;
  unauthorized: Json;
}

/** The tenant of a jobs request without a body: with the API key, who owns the jobs. */
const TENANT_HEADER = {
  name: "X-Tenant-Id",
  in: "header",
  required: false,
  schema: { type: "string", minLength: 1, maxLength: 128 },
  description: "The tenant the job was submitted for; absent for jobs submitted without one",
};
const JOB_ID = { name: "id", in: "path", required: true, schema: { type: "string" } };
const NO_JOB = "No such job: none with this id, expired, or another API key's or tenant's";

/** A job's run: a /run_code body with the job's own retry fields. */
const JOB_RUN = {
  allOf: [{ $ref: "#/components/schemas/RunRequest" }, {
    type: "object",
    properties: {
      max_attempts: {
        type: "integer",
        minimum: 1,
        description: "Attempts before the job is dead, at most FAAS_JOB_MAX_ATTEMPTS (the default)",
      },
      retry_on: {
        type: "array",
        items: { type: "string", enum: [...RETRY_CAUSES] },
        default: ["killed"],
        description: "Run outcomes tried again: its sandbox died, its timeout, its memory " +
          "limit (status memory_limit), an error raised by its code; the list replaces the default",
      },
    },
  }],
};

/** The `/jobs` paths. */
export function jobsPaths({ json, error, unauthorized }: PathHelpers): Json {
  return {
    "/jobs": {
      post: {
        operationId: "submitJobs",
        summary: 'Queue a run (a /run_code body) or a batch ({"runs": [...]}) to collect later',
        description: "A job belongs to the API key and tenant that submitted it (the body's " +
          "`tenant`, else X-Tenant-Id); only the same key and tenant can read it. A batch " +
          "belongs to one tenant: entries naming different tenants are refused.",
        parameters: [{
          name: "Idempotency-Key",
          in: "header",
          required: false,
          schema: { type: "string", maxLength: 200 },
          description:
            "The same key from the same API key and tenant returns the job it made the first " +
            "time; another tenant's use of the key is its own",
        }, TENANT_HEADER],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                oneOf: [
                  JOB_RUN,
                  {
                    type: "object",
                    required: ["runs"],
                    properties: { runs: { type: "array", items: JOB_RUN } },
                  },
                ],
              },
            },
          },
        },
        responses: {
          202: {
            description: "Queued: {id, status} (Location header), or {ids, jobs} for a batch",
          },
          400: error(
            "Invalid body; for a batch, details name runs.<index>.<field> (runs.<index>.tenant " +
              "for an entry naming another tenant than runs.0); nothing queued",
          ),
          ...unauthorized,
          403: error("A tenant the trusted X-Tenant-Id header does not allow"),
          429: error(
            "The key's runs per minute would be exceeded, or the tenant's quota (each run of a " +
              "batch counts); nothing queued",
            true,
          ),
          507: error(
            "The caller's kept jobs hold FAAS_JOB_MAX_OWNER_BYTES of results; nothing queued " +
              "until finished jobs expire",
          ),
        },
      },
      get: {
        operationId: "listJobs",
        summary: "The caller's jobs with a status, as summaries, oldest first, page by page",
        description: "Lists the jobs of the caller's API key and tenant (X-Tenant-Id), " +
          "without results (read each with GET /jobs/{id}). Needs API keys: without them " +
          "tenants are self-asserted, and jobs are read only by id.",
        parameters: [
          {
            name: "status",
            in: "query",
            schema: {
              type: "string",
              enum: ["queued", "running", "done", "cancelled", "dead"],
              default: "dead",
            },
          },
          {
            name: "limit",
            in: "query",
            schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
          },
          {
            name: "cursor",
            in: "query",
            schema: { type: "string" },
            description: "The `next` of the previous page",
          },
          TENANT_HEADER,
        ],
        responses: {
          200: json("JobList", "A page of summaries"),
          400: error("Unknown status, limit out of range, or a cursor no listing gave"),
          ...unauthorized,
          403: error("Listing needs API keys (FAAS_API_KEYS)"),
        },
      },
    },
    "/jobs/{id}": {
      parameters: [JOB_ID, TENANT_HEADER],
      get: {
        operationId: "getJob",
        summary:
          "A job; ?wait=N long-polls up to N seconds (at most 60) while it is queued or running",
        parameters: [{
          name: "wait",
          in: "query",
          schema: { type: "number", minimum: 0, maximum: 60 },
        }],
        responses: {
          200: json("Job", "The job"),
          400: error("Bad wait or X-Tenant-Id"),
          ...unauthorized,
          404: error(NO_JOB),
        },
      },
      delete: {
        operationId: "cancelJob",
        summary: "Cancel a queued or running job",
        responses: {
          200: json("Job", "Cancelled"),
          400: error("Bad X-Tenant-Id"),
          ...unauthorized,
          404: error(NO_JOB),
          409: error("Already finished"),
        },
      },
    },
    "/jobs/{id}/events": {
      parameters: [JOB_ID, TENANT_HEADER],
      get: {
        operationId: "jobEvents",
        summary: "The job's output as Server-Sent Events, then a `result` event with the job",
        responses: {
          200: { description: "text/event-stream", content: { "text/event-stream": {} } },
          400: error("Bad X-Tenant-Id"),
          ...unauthorized,
          404: error(NO_JOB),
        },
      },
    },
    "/jobs/{id}/retry": {
      parameters: [JOB_ID, TENANT_HEADER],
      post: {
        operationId: "retryJob",
        summary: "Queue a dead job again",
        responses: {
          202: { description: "Queued again" },
          400: error("Bad X-Tenant-Id"),
          ...unauthorized,
          404: error(NO_JOB),
          409: error("Not dead"),
          429: error("The key's runs per minute or the tenant's quota would be exceeded", true),
          507: error("The caller's kept jobs hold FAAS_JOB_MAX_OWNER_BYTES of results"),
        },
      },
    },
  };
}
