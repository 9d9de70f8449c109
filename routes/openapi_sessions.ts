/** The session routes of the OpenAPI document (`openapi.ts`). */
import type { PathHelpers } from "./openapi_jobs.ts";
import { sessionFilePaths } from "./openapi_session_files.ts";

type Json = Record<string, unknown>;

const SESSION_ID = { name: "id", in: "path", required: true, schema: { type: "string" } };
const TENANT_HEADER = {
  name: "X-Tenant-Id",
  in: "header",
  required: false,
  schema: { type: "string", minLength: 1, maxLength: 128 },
  description: "The tenant the session was made for; absent for sessions made without one",
};
const NO_SESSION = "No such session: none with this id, another API key's or tenant's, " +
  "expired (the message says so), deleted, or made before the service restarted";

const ELSEWHERE = "The session lives on another replica (its id is in `replica`): its " +
  "calls must reach that replica; route by session id at the load balancer";
const SESSION_GONE = "The session's sandbox was killed (its memory limit, a run that " +
  "would not stop, a crash) or the replica holding it is gone (`replica` names it): its state " +
  "is lost, and the message says why";

const SESSION_EXAMPLE = {
  id: "0b7f9f54-8a55-4a0e-bb1f-2f4f1d8c2e11",
  language: "python",
  expires_at: "2025-01-01T12:10:00.000Z",
  created_at: "2025-01-01T12:00:00.000Z",
  last_used_at: "2025-01-01T12:00:00.000Z",
  ttl_s: 600,
  runs: 0,
  busy: false,
};

/** A session as the API describes it. */
export const SESSION_SCHEMA: Json = {
  type: "object",
  required: ["id", "language", "expires_at", "created_at", "last_used_at", "ttl_s", "runs", "busy"],
  properties: {
    id: { type: "string" },
    language: { type: "string", enum: ["python", "javascript", "typescript"] },
    expires_at: { type: "string", format: "date-time", description: "Ends then unless used" },
    created_at: { type: "string", format: "date-time" },
    last_used_at: { type: "string", format: "date-time" },
    ttl_s: { type: "number", description: "Idle seconds after which it ends" },
    runs: { type: "integer", description: "Runs it finished" },
    busy: { type: "boolean", description: "A run is in progress or waiting" },
    replica: {
      type: "string",
      description: "In listings, with replicas sharing Redis: the replica holding it",
    },
    replica_alive: { type: "boolean", description: "In listings, with replicas: true" },
  },
  example: SESSION_EXAMPLE,
};

/** The `/sessions` paths. */
export function sessionPaths(helpers: PathHelpers): Json {
  const { json, error, unauthorized } = helpers;
  const session = json("Session", "The session");
  return {
    ...sessionFilePaths(helpers),
    "/sessions": {
      post: {
        operationId: "createSession",
        summary: "Make a session: an interpreter of its own that keeps its state between runs",
        description: "Globals, imports and files carry from run to run. The session belongs " +
          "to the API key and tenant that made it; to anyone else it does not exist.",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["language"],
                properties: {
                  language: { type: "string", description: "As for /run_code" },
                  ttl_s: {
                    type: "number",
                    description: "Idle seconds after which it ends; default FAAS_SESSION_TTL_S, " +
                      "clamped to FAAS_SESSION_MAX_TTL_S",
                  },
                  tenant: { type: "string", minLength: 1, maxLength: 128 },
                },
              },
              example: { language: "python", ttl_s: 600 },
            },
          },
        },
        responses: {
          201: { ...session, description: "Made" },
          400: error("Invalid JSON or fields; details name each field"),
          ...unauthorized,
          429: error("The caller has FAAS_MAX_SESSIONS_PER_KEY sessions", true),
          503: error("The service holds FAAS_MAX_SESSIONS sessions", true),
        },
      },
      get: {
        operationId: "listSessions",
        summary: "The caller's live sessions, on every replica",
        description: "Sessions this replica holds come in full. With replicas sharing Redis, " +
          "every entry names its `replica`, and the caller's sessions held by other replicas " +
          "follow in brief (id, language, expires_at, replica, replica_alive: false once that " +
          "replica is gone, when calls on it answer 410). `partial: true` when Redis could not " +
          "be read: only this replica's sessions are listed.",
        parameters: [TENANT_HEADER],
        responses: {
          200: {
            description: "The sessions",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    sessions: {
                      type: "array",
                      items: {
                        anyOf: [
                          { $ref: "#/components/schemas/Session" },
                          {
                            type: "object",
                            description: "A session held by another replica",
                            required: ["id", "language", "expires_at", "replica", "replica_alive"],
                            properties: {
                              id: { type: "string" },
                              language: {
                                type: "string",
                                enum: ["python", "javascript", "typescript"],
                              },
                              expires_at: { type: "string", format: "date-time" },
                              replica: { type: "string" },
                              replica_alive: { type: "boolean" },
                            },
                          },
                        ],
                      },
                    },
                    partial: {
                      type: "boolean",
                      description: "Present (true) when other replicas' sessions could not be read",
                    },
                  },
                },
              },
            },
          },
          ...unauthorized,
        },
      },
    },
    "/sessions/{id}": {
      get: {
        operationId: "getSession",
        summary: "Describe a session",
        parameters: [SESSION_ID, TENANT_HEADER],
        responses: {
          200: session,
          ...unauthorized,
          404: error(NO_SESSION),
          409: error(ELSEWHERE),
          410: error(SESSION_GONE),
        },
      },
      delete: {
        operationId: "deleteSession",
        summary: "End a session; its instance and memory go with it",
        parameters: [SESSION_ID, TENANT_HEADER],
        responses: {
          204: { description: "Ended" },
          ...unauthorized,
          404: error(NO_SESSION),
          409: error(ELSEWHERE),
          410: error(SESSION_GONE),
        },
      },
    },
    "/sessions/{id}/run": {
      post: {
        operationId: "runInSession",
        summary: "Run code in a session; answered like /run_code, plus the session",
        description: "Runs of one session go one at a time, in the order they arrive. " +
          "Python runs in one module scope kept across runs (the last expression is " +
          "`ret_val`); JavaScript and TypeScript run as scripts in one context, so top-level " +
          "declarations stay (`let`, `const` and `class` become `var`), and the last " +
          "expression is `ret_val`; code with top-level `await` or `return` runs as an async " +
          "function body, whose declarations end with the run.",
        parameters: [SESSION_ID],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["code"],
                properties: {
                  code: { type: "string" },
                  input: { description: "Any JSON; the code sees it as INPUT" },
                  timeout: { type: "number", description: "Milliseconds, as for /run_code" },
                  stdin: { type: "string" },
                  tenant: { type: "string", description: "The session's tenant, if it has one" },
                },
              },
              examples: {
                define: { value: { code: "import math\nradius = 2" } },
                use: { value: { code: "math.pi * radius ** 2" } },
              },
            },
          },
        },
        responses: {
          200: json("RunResponse", "The code ran; `session` describes the session after it"),
          400: error("Invalid JSON or fields; details name each field"),
          ...unauthorized,
          404: error(NO_SESSION),
          409: error(ELSEWHERE),
          410: error(SESSION_GONE),
          413: error("Body over FAAS_MAX_BODY_BYTES"),
          429: error("Queue full, or a per-key limit reached", true),
          503: error("Draining, or queued longer than FAAS_MAX_QUEUE_WAIT", true),
        },
      },
    },
  };
}
