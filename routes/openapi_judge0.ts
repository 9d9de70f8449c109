/** The Judge0 CE routes of the OpenAPI document (`openapi.ts`), under a tag of their own. */
import type { PathHelpers } from "./openapi_jobs.ts";
import { SUBMISSION_FIELDS } from "./judge0_result.ts";
import { IGNORED_FIELDS } from "./judge0_submission.ts";

type Json = Record<string, unknown>;

/** The tag every Judge0 operation carries, and its section's text. */
export const JUDGE0_TAG = {
  name: "Judge0 CE compatibility",
  description: "Judge0 CE's submissions API for Python (ids 71, 92, 100), JavaScript (63, 93, " +
    "97, 102) and TypeScript (74, 94, 101). A submission is a job: its token is the job's id, " +
    "GET /jobs/{token} shows it too. Judge0 clients may send their key as X-Auth-Token.",
};

const tags = [JUDGE0_TAG.name];
const nullable = (type: string) => ({ type: [type, "null"] });
const flag = (name: string, description: string) => ({
  name,
  in: "query",
  required: false,
  schema: { type: "boolean", default: false },
  description,
});
const BASE64 = flag(
  "base64_encoded",
  "source_code, stdin and expected_output come in base64; stdout, stderr, compile_output and " +
    "message go out in base64",
);
const FIELDS = {
  name: "fields",
  in: "query",
  required: false,
  schema: {
    type: "string",
    default: "token,time,memory,stdout,stderr,compile_output,message,status",
  },
  description: "Comma-separated submission fields, or * for all; an unknown one is a 400",
};

/** The schemas the Judge0 paths refer to. */
export function judge0Schemas(): Record<string, Json> {
  const ignored = Object.fromEntries(
    IGNORED_FIELDS.map((f) => [f, { description: "Accepted and ignored: set per instance" }]),
  );
  return {
    Judge0Submission: {
      type: "object",
      required: ["source_code", "language_id"],
      properties: {
        source_code: { type: "string", description: "The program (base64 with base64_encoded)" },
        language_id: { type: "integer", description: "One of GET /languages" },
        stdin: nullable("string"),
        expected_output: {
          ...nullable("string"),
          description: "Compared with stdout as Judge0 does (trailing whitespace of each line " +
            "and of the whole ignored): Accepted (3) or Wrong Answer (4)",
        },
        wall_time_limit: {
          ...nullable("number"),
          description: "Seconds; the run's timeout, clamped to FAAS_MAX_TIMEOUT",
        },
        cpu_time_limit: {
          ...nullable("number"),
          description: "Seconds; the run's (wall-clock) timeout when wall_time_limit is absent",
        },
        command_line_arguments: {
          ...nullable("string"),
          maxLength: 512,
          description: "Split like a shell splits words (quotes kept together, nothing expanded)",
        },
        additional_files: {
          ...nullable("string"),
          description: "Base64 of a zip archive, unpacked into the program's directory",
        },
        number_of_runs: { type: ["integer", "null"], enum: [1, null] },
        enable_network: { type: ["boolean", "null"], enum: [false, null] },
        redirect_stderr_to_stdout: { type: ["boolean", "null"], enum: [false, null] },
        callback_url: { type: ["string", "null"], maxLength: 0, description: "Not supported" },
        compiler_options: { type: ["string", "null"], maxLength: 0, description: "Not supported" },
        ...ignored,
      },
      example: { language_id: 71, source_code: "print(f'hello, {input()}')", stdin: "Judge0" },
    },
    Judge0SubmissionResult: {
      type: "object",
      description: `Only the fields asked for; all of them with fields=*: ${
        SUBMISSION_FIELDS.join(", ")
      }`,
      properties: {
        token: { type: "string" },
        stdout: nullable("string"),
        stderr: nullable("string"),
        compile_output: nullable("string"),
        message: nullable("string"),
        exit_code: nullable("integer"),
        exit_signal: nullable("integer"),
        status: { $ref: "#/components/schemas/Judge0Status" },
        time: { ...nullable("string"), description: "CPU seconds, as a decimal string" },
        wall_time: { ...nullable("string"), description: "Seconds, as a decimal string" },
        memory: { ...nullable("integer"), description: "KiB (memory_peak_bytes / 1024)" },
        language: {
          type: "object",
          properties: { id: { type: "integer" }, name: { type: "string" } },
        },
      },
      example: {
        stdout: "hello, Judge0\n",
        time: "0.004",
        memory: 9216,
        stderr: null,
        token: "d85cd024-1548-4165-96c7-7bc88673f194",
        compile_output: null,
        message: null,
        status: { id: 3, description: "Accepted" },
      },
    },
    Judge0Status: {
      type: "object",
      properties: {
        id: { type: "integer", minimum: 1, maximum: 14 },
        description: { type: "string" },
      },
    },
    Judge0Language: {
      type: "object",
      properties: { id: { type: "integer" }, name: { type: "string" } },
      example: { id: 71, name: "Python (3.14.2, Pyodide 314.0.7)" },
    },
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const TOKEN = { name: "token", in: "path", required: true, schema: { type: "string" } };

/** The Judge0 paths; `auth` lets their operations take X-Auth-Token as well as a bearer key. */
export function judge0Paths({ json, error, unauthorized }: PathHelpers, auth: boolean): Json {
  const security = auth ? { security: [{ bearerAuth: [] }, { judge0Token: [] }] } : {};
  const refusals = {
    ...unauthorized,
    403: error("A tenant the trusted X-Tenant-Id header does not allow"),
    413: error("Body over FAAS_MAX_BODY_BYTES"),
    429: error("The key's runs per minute would be exceeded; nothing queued", true),
    507: error("The caller's kept jobs hold FAAS_JOB_MAX_OWNER_BYTES of results"),
  };
  return {
    "/languages": {
      get: {
        tags,
        ...security,
        operationId: "judge0Languages",
        summary: "Judge0 language ids this service runs, with what really runs them",
        responses: {
          200: {
            description: "[{id, name}]",
            content: {
              "application/json": { schema: { type: "array", items: ref("Judge0Language") } },
            },
          },
          ...unauthorized,
        },
      },
    },
    "/languages/all": {
      get: {
        tags,
        ...security,
        operationId: "judge0LanguagesAll",
        summary: "Every language, archived or not (none is): [{id, name, is_archived}]",
        responses: {
          200: {
            description: "[{id, name, is_archived}]",
            content: {
              "application/json": { schema: { type: "array", items: ref("Judge0Language") } },
            },
          },
          ...unauthorized,
        },
      },
    },
    "/about": {
      get: {
        tags,
        ...security,
        operationId: "judge0About",
        summary: "The Judge0 API version answered as (1.13.1), the docs, the service's version",
        responses: {
          200: {
            description: "{version, homepage, source_code, maintainer}",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["version", "homepage", "source_code", "maintainer"],
                  properties: {
                    version: { type: "string" },
                    homepage: { type: "string" },
                    source_code: { type: "string" },
                    maintainer: { type: "string" },
                  },
                },
              },
            },
          },
          ...unauthorized,
        },
      },
    },
    "/config_info": {
      get: {
        tags,
        ...security,
        operationId: "judge0ConfigInfo",
        summary: "Judge0's configuration fields, as this service behaves (limits in its units)",
        responses: {
          200: {
            description: "Judge0 CE's 39 configuration fields: booleans, numbers and a list",
            content: {
              "application/json": {
                schema: { type: "object", additionalProperties: true },
              },
            },
          },
          ...unauthorized,
        },
      },
    },
    "/languages/{id}": {
      get: {
        tags,
        ...security,
        operationId: "judge0Language",
        summary: "One language: {id, name, is_archived, source_file}",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
        responses: {
          200: json("Judge0Language", "The language"),
          ...unauthorized,
          404: error("No language with this id"),
        },
      },
    },
    "/statuses": {
      get: {
        tags,
        ...security,
        operationId: "judge0Statuses",
        summary: "Judge0's 14 submission statuses",
        responses: {
          200: {
            description: "[{id, description}]",
            content: {
              "application/json": { schema: { type: "array", items: ref("Judge0Status") } },
            },
          },
          ...unauthorized,
        },
      },
    },
    "/submissions": {
      post: {
        tags,
        ...security,
        operationId: "judge0Submit",
        summary: "Queue a submission; with wait=true, answer once it has run",
        parameters: [
          BASE64,
          flag("wait", "Wait for the result (up to the run's timeout plus 60 s)"),
          FIELDS,
        ],
        requestBody: {
          required: true,
          content: { "application/json": { schema: ref("Judge0Submission") } },
        },
        responses: {
          201: {
            description: "{token}, or with wait=true the submission (status 1 or 2 if it had " +
              "not finished in time)",
            content: { "application/json": { schema: ref("Judge0SubmissionResult") } },
          },
          400: error("Invalid body, query or fields; details name each field"),
          ...refusals,
        },
      },
    },
    "/submissions/batch": {
      post: {
        tags,
        ...security,
        operationId: "judge0SubmitBatch",
        summary: "Queue several submissions: all of them, or none if any is invalid",
        parameters: [BASE64],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["submissions"],
                properties: { submissions: { type: "array", items: ref("Judge0Submission") } },
              },
            },
          },
        },
        responses: {
          201: { description: "[{token}, ...] in the order given" },
          400: error("Details name submissions.<index>.<field>; nothing queued"),
          ...refusals,
        },
      },
      get: {
        tags,
        ...security,
        operationId: "judge0GetBatch",
        summary: "Several submissions; null for a token that names none of the caller's",
        parameters: [
          { name: "tokens", in: "query", required: true, schema: { type: "string" } },
          BASE64,
          FIELDS,
        ],
        responses: {
          200: {
            description: "{submissions: [...]}",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    submissions: {
                      type: "array",
                      items: { oneOf: [ref("Judge0SubmissionResult"), { type: "null" }] },
                    },
                  },
                },
              },
            },
          },
          400: error("No tokens, too many, or an unknown field"),
          ...unauthorized,
        },
      },
    },
    "/submissions/{token}": {
      parameters: [TOKEN],
      get: {
        tags,
        ...security,
        operationId: "judge0Get",
        summary: "A submission, in the fields asked for",
        parameters: [BASE64, FIELDS],
        responses: {
          200: json("Judge0SubmissionResult", "The submission"),
          400: error("An unknown field or a bad flag"),
          ...unauthorized,
          404: error("No such submission: none with this token, expired, or another key's"),
        },
      },
    },
  };
}
