/** Piston v2's routes in the OpenAPI document (`openapi.ts`). */
import type { PathHelpers } from "./openapi_jobs.ts";

type Json = Record<string, unknown>;

const TAG = "Piston v2 compatibility";

const STAGE: Json = {
  type: "object",
  properties: {
    stdout: { type: "string" },
    stderr: { type: "string" },
    output: { type: "string", description: "stdout and stderr interleaved as written" },
    code: { type: ["integer", "null"], description: "Exit code; null when killed" },
    signal: { type: ["string", "null"], description: "SIGKILL on TO, OL, EL and SG" },
    message: { type: ["string", "null"] },
    status: {
      type: ["string", "null"],
      enum: ["RE", "SG", "TO", "OL", "EL", "XX", null],
      description: "RE exited non-zero, SG killed for memory, TO timed out, OL/EL stdout/stderr " +
        "over FAAS_MAX_OUTPUT_BYTES, XX internal; null for success",
    },
    cpu_time: { type: ["integer", "null"], description: "ms" },
    wall_time: { type: ["integer", "null"], description: "ms" },
    memory: { type: ["integer", "null"], description: "bytes" },
  },
};

const EXECUTE_REQUEST: Json = {
  type: "object",
  required: ["language", "files"],
  properties: {
    language: { type: "string", description: "python, javascript, typescript or an alias" },
    version: {
      type: "string",
      description: '"*" (default) for the one there is, an exact version, or a prefix (3, 3.14)',
    },
    files: {
      type: "array",
      description: "The first UTF-8 file runs; all are in the run's directory, importable",
      items: {
        type: "object",
        required: ["content"],
        properties: {
          name: { type: "string", description: "Default file<i>.code" },
          content: { type: "string" },
          encoding: { type: "string", enum: ["utf8", "base64", "hex"] },
        },
      },
    },
    stdin: { type: "string", description: "A newline is added when it does not end in one" },
    args: { type: "array", items: { type: "string" } },
    run_timeout: { type: "number", description: "ms, at most FAAS_MAX_TIMEOUT" },
    run_cpu_time: { type: "number", description: "ms; the run's timeout is the smaller" },
    run_memory_limit: {
      type: "number",
      description: "bytes, -1 for the default; at most FAAS_MEMORY_LIMIT_MB; a lower value " +
        "is reported in `warnings`, not applied",
    },
    compile_timeout: { type: "number", description: "Accepted; no language compiles" },
    compile_cpu_time: { type: "number", description: "Accepted; no language compiles" },
    compile_memory_limit: { type: "number", description: "Accepted; no language compiles" },
  },
  example: {
    language: "python",
    version: "*",
    files: [
      { name: "main.py", content: "from util import twice\nprint(twice(int(input())))" },
      { name: "util.py", content: "def twice(x):\n    return 2 * x" },
    ],
    stdin: "21",
    args: [],
    run_timeout: 3000,
  },
};

/** `GET /api/v2/runtimes` and `POST /api/v2/execute`, and their `/api/v2/piston/` twins. */
export function pistonPaths({ unauthorized }: PathHelpers): Json {
  const pistonError = (description: string) => ({
    description,
    content: {
      "application/json": {
        schema: {
          type: "object",
          properties: { message: { type: "string" }, error: { type: "string" } },
        },
      },
    },
  });
  const paths: Json = {};
  for (const base of ["/api/v2", "/api/v2/piston"]) {
    const twin = base === "/api/v2" ? "" : "Piston";
    paths[`${base}/runtimes`] = {
      get: {
        tags: [TAG],
        operationId: `pistonRuntimes${twin}`,
        summary: "Piston: the languages and versions",
        responses: {
          200: {
            description: "One entry per language",
            content: {
              "application/json": {
                schema: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      language: { type: "string" },
                      version: { type: "string" },
                      aliases: { type: "array", items: { type: "string" } },
                      runtime: { type: "string" },
                    },
                  },
                },
              },
            },
          },
          ...unauthorized,
        },
      },
    };
    paths[`${base}/execute`] = {
      post: {
        tags: [TAG],
        operationId: `pistonExecute${twin}`,
        summary: "Piston: run a program and wait for it",
        requestBody: {
          required: true,
          content: { "application/json": { schema: EXECUTE_REQUEST } },
        },
        responses: {
          200: {
            description: "It ran, whatever it did; see run.status",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    language: { type: "string" },
                    version: { type: "string" },
                    run: STAGE,
                    compile: { ...STAGE, description: "TypeScript only" },
                    warnings: { type: "array", items: { type: "string" } },
                  },
                },
              },
            },
          },
          400: pistonError("Invalid request; message says which field"),
          ...unauthorized,
          429: pistonError("Queue full, a per-key limit reached, or the tenant's quota exceeded"),
          503: pistonError("Starting, draining, or queued too long"),
        },
      },
    };
  }
  return paths;
}
