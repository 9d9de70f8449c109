/** The OpenAPI 3.1 document, generated from the zod schemas. */
import { z } from "zod";
import { LANGUAGE_ALIASES, runRequestSchema } from "./run_request.ts";
import { PRIORITIES } from "../scheduler/priority_queue.ts";
import { jobsPaths } from "./openapi_jobs.ts";
import { SESSION_SCHEMA, sessionPaths } from "./openapi_sessions.ts";
import { servicePaths } from "./openapi_service.ts";
import { pistonPaths } from "./openapi_piston.ts";
import { adminPaths } from "./openapi_admin.ts";
import { JUDGE0_TAG, judge0Paths, judge0Schemas } from "./openapi_judge0.ts";
import { usagePaths, usageSchemas } from "./openapi_admin_usage.ts";
import { dlqPaths } from "./openapi_admin_dlq.ts";
import { retentionPaths, settingsPaths } from "./openapi_admin_settings.ts";
import {
  errorBodySchema,
  healthSchema,
  jobListSchema,
  jobSchema,
  runResponseSchema,
  runtimesSchema,
} from "./schemas.ts";

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: "input" | "output" = "output"): Json => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" });
  return withoutSafeIntegerBounds(rest) as Json;
};

/** zod bounds every integer by ±(2^53 - 1); that says nothing to a reader. */
function withoutSafeIntegerBounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSafeIntegerBounds);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if ((k === "minimum" || k === "maximum") && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) {
      continue;
    }
    out[k] = withoutSafeIntegerBounds(v);
  }
  return out;
}

/**
 * The request schema as clients should see it: the accepted spellings of
 * `language` and `priority` as enums, `timeout` as a number (a numeric
 * string is still accepted, for older clients).
 */
function runRequestDocument(): Json {
  const doc = schema(runRequestSchema, "input");
  const props = doc.properties as Record<string, Json>;
  props.language = { ...props.language, enum: Object.keys(LANGUAGE_ALIASES) };
  props.priority = { ...props.priority, enum: [...PRIORITIES], default: "normal" };
  const { type: _, ...timeout } = props.timeout;
  props.timeout = {
    ...timeout,
    type: "number",
    exclusiveMinimum: 0,
    description: `${timeout.description}; a numeric string is accepted too`,
  };
  doc.example = {
    language: "python",
    code: 'import math\nprint(INPUT["x"])\nmath.sqrt(16)',
    input: { x: 1 },
    timeout: 5000,
  };
  return doc;
}

/** One sample request per language, to pick from in the docs page. */
const REQUEST_EXAMPLES = {
  python: {
    summary: "Python",
    value: {
      language: "python",
      code: "import statistics\nprint('mean of', INPUT)\nstatistics.mean(INPUT)",
      input: [1, 2, 3, 4],
    },
  },
  javascript: {
    summary: "JavaScript",
    value: {
      language: "javascript",
      code: "console.log('sum of', INPUT);\nreturn INPUT.reduce((a, b) => a + b, 0);",
      input: [1, 2, 3, 4],
    },
  },
  typescript: {
    summary: "TypeScript",
    value: {
      language: "typescript",
      code: "const xs: number[] = INPUT;\nreturn xs.map((x) => x * 2);",
      input: [1, 2, 3, 4],
    },
  },
};

const RUN_RESPONSE_EXAMPLE = {
  output: { stdout: "1\n", stderr: "", ret_val: "4.0", ret_json: 4.0 },
  metadata: {
    task_id: "9f2c1b7e-4a57-4c1e-9d0b-3f6a2c8e5d41",
    instance_id: "py-1/3",
    instance_source: "warm",
    language: "python",
    status: "success",
    duration: 2,
    duration_ms: 1.9,
    queue_ms: 0.2,
    exit_code: 0,
    truncated: false,
    timeout_ms: 5000,
    timeout_clamped: false,
    pool_stats: { totalInstances: 4, idleInstances: 3, activeInstances: 1 },
    cpu_ms: 2.1,
    memory_peak_bytes: 65536,
    ignored_fields: [],
  },
};

const json = (ref: string, description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const error = (description: string, retryAfter = false) => ({
  ...json("Error", description),
  ...(retryAfter
    ? { headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds" } } }
    : {}),
});

/** Sent with answers to runs once a daily quota of the tenant is at or past its warn_at. */
export const QUOTA_WARNING = {
  "X-Quota-Warning": {
    schema: { type: "string" },
    description: "`<quota>=<used>/<limit>` for each daily quota at or past its warn_at, " +
      "comma-separated (e.g. invocations_per_day=850/1000)",
  },
};

/** Builds the document; `auth` adds the bearer scheme and 401 answers. */
export function openApiDocument(version: string, auth: boolean): Json {
  const unauthorized = auth ? { 401: error("Missing or invalid API key") } : {};
  return {
    openapi: "3.1.0",
    info: {
      title: "faas-sandbox",
      version,
      description: "Run untrusted Python, JavaScript and TypeScript snippets in a sandbox.",
    },
    ...(auth ? { security: [{ bearerAuth: [] }] } : {}),
    paths: {
      "/run_code": {
        post: {
          operationId: "runCode",
          summary: "Run a snippet",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { $ref: "#/components/schemas/RunRequest" },
                examples: REQUEST_EXAMPLES,
              },
            },
          },
          responses: {
            200: {
              ...json("RunResponse", "The code ran, whatever it did; see metadata.status"),
              headers: QUOTA_WARNING,
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/RunResponse" },
                  example: RUN_RESPONSE_EXAMPLE,
                },
                "text/event-stream": {
                  schema: {
                    type: "string",
                    description: "With Accept: text/event-stream: `stdout` and `stderr` events " +
                      "(data: the chunk as a JSON string) while the code runs, then one `result` " +
                      "event (data: the RunResponse) or an `error` event",
                  },
                },
              },
            },
            400: error("Invalid JSON or fields; details name each field"),
            ...unauthorized,
            404: error("No such route"),
            405: error("Wrong method"),
            413: error("Body over FAAS_MAX_BODY_BYTES"),
            429: error(
              "Queue full, a per-key limit reached, or the tenant's quota exceeded (quota, " +
                "limit, used, reset_at)",
              true,
            ),
            503: error("Starting, draining, or queued longer than FAAS_MAX_QUEUE_WAIT", true),
          },
        },
      },
      ...jobsPaths({ json, error, unauthorized }),
      ...sessionPaths({ json, error, unauthorized }),
      ...servicePaths({ json, error, unauthorized }),
      ...pistonPaths({ json, error, unauthorized }),
      ...adminPaths({ json, error, unauthorized }),
      ...judge0Paths({ json, error, unauthorized }, auth),
      ...usagePaths({ json, error, unauthorized }),
      ...dlqPaths({ json, error, unauthorized }),
      ...settingsPaths({ json, error, unauthorized }),
      ...retentionPaths({ json, error, unauthorized }),
    },
    tags: [JUDGE0_TAG],
    components: {
      schemas: {
        RunRequest: runRequestDocument(),
        RunResponse: schema(runResponseSchema),
        Error: schema(errorBodySchema),
        Health: schema(healthSchema),
        Runtimes: schema(runtimesSchema),
        Job: schema(jobSchema),
        JobList: schema(jobListSchema),
        Session: SESSION_SCHEMA,
        ...judge0Schemas(),
        ...usageSchemas,
      },
      ...(auth
        ? {
          securitySchemes: {
            bearerAuth: {
              type: "http",
              scheme: "bearer",
              description: "One of FAAS_API_KEYS: Authorization: Bearer <key>",
            },
            judge0Token: {
              type: "apiKey",
              in: "header",
              name: "X-Auth-Token",
              description: "One of FAAS_API_KEYS, as Judge0 clients send it",
            },
          },
        }
        : {}),
    },
  };
}
