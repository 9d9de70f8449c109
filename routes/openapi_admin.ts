/** The admin API's keys and audit log in the OpenAPI document (`openapi.ts`). */
import type { PathHelpers } from "./openapi_jobs.ts";
import { ROLES } from "../admin/types.ts";

type Json = Record<string, unknown>;

const TAG = "Admin: keys and audit";

const KEY: Json = {
  type: "object",
  properties: {
    id: { type: "string", example: "key_3f9a0c1d2e4b5a69" },
    tenant: { type: ["string", "null"] },
    role: { type: "string", enum: [...ROLES] },
    name: { type: "string" },
    created_at: { type: ["string", "null"], format: "date-time" },
    source: { type: "string", enum: ["api", "FAAS_API_KEYS", "FAAS_ADMIN_KEYS"] },
  },
};

const AUDIT_ENTRY: Json = {
  type: "object",
  properties: {
    id: { type: "string" },
    time: { type: "string", format: "date-time" },
    actor: { type: "string", description: "The acting key's id; empty for none" },
    role: { type: "string" },
    action: { type: "string", example: "key.create" },
    target: { type: "string" },
    outcome: { type: "string", enum: ["ok", "refused"] },
    before: {},
    after: {},
    request_id: { type: "string" },
    reason: { type: "string", description: "Why a refused call was refused" },
  },
};

const query = (name: string, description: string, schema: Json = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

/** `/api/v1/keys` and `/api/v1/audit`. */
export function adminPaths({ error }: PathHelpers): Json {
  const denied = {
    401: error("Missing or invalid API key"),
    403: error("The key's role may not do this, or FAAS_ADMIN_KEYS is not set"),
  };
  const body = (schema: Json, description: string) => ({
    description,
    content: { "application/json": { schema } },
  });
  return {
    "/api/v1/keys": {
      post: {
        tags: [TAG],
        operationId: "createKey",
        summary: "Make an API key for a tenant (admin)",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["tenant", "role", "name"],
                properties: {
                  tenant: { type: "string", description: "1-128 printable ASCII characters" },
                  role: { type: "string", enum: [...ROLES] },
                  name: { type: "string", description: "1-100 characters" },
                },
              },
              example: { tenant: "acme", role: "runner", name: "acme CI" },
            },
          },
        },
        responses: {
          201: body(
            {
              ...KEY,
              properties: {
                ...(KEY.properties as Json),
                key: { type: "string", description: "The secret: shown this once" },
              },
            },
            "The key, with its secret",
          ),
          400: error("Invalid field; details name it"),
          ...denied,
        },
      },
      get: {
        tags: [TAG],
        operationId: "listKeys",
        summary: "Every key: configured ones and those made here (never a secret)",
        responses: {
          200: body(
            { type: "object", properties: { keys: { type: "array", items: KEY } } },
            "Keys",
          ),
          ...denied,
        },
      },
    },
    "/api/v1/keys/{id}": {
      delete: {
        tags: [TAG],
        operationId: "revokeKey",
        summary: "Revoke a key at once, on every replica (admin)",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          200: body(
            { ...KEY, properties: { ...(KEY.properties as Json), revoked: { const: true } } },
            "Revoked",
          ),
          400: error("Malformed key id"),
          ...denied,
          404: error("No such key"),
          409: error("A configured key: remove it from the environment instead"),
        },
      },
    },
    "/api/v1/audit": {
      get: {
        tags: [TAG],
        operationId: "listAudit",
        summary: "The audit log, newest first, as JSON or CSV",
        parameters: [
          query("action", "Only this action, e.g. key.create"),
          query("actor", "Only this key id"),
          query("from", "From this time (ISO 8601 or epoch ms)"),
          query("to", "Up to this time (ISO 8601 or epoch ms)"),
          query("format", "json (default) or csv", { type: "string", enum: ["json", "csv"] }),
          query("page", "From 1", { type: "integer", minimum: 1 }),
          query("per_page", "1-500, default 50", { type: "integer", minimum: 1, maximum: 500 }),
        ],
        responses: {
          200: {
            description: "Entries",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    entries: { type: "array", items: AUDIT_ENTRY },
                    total: { type: "integer" },
                    page: { type: "integer" },
                    per_page: { type: "integer" },
                  },
                },
              },
              "text/csv": {
                schema: {
                  type: "string",
                  description: "Header row time,actor,role,action,target,outcome,request_id," +
                    "reason,before,after; one row per entry",
                },
              },
            },
          },
          400: error("Invalid query parameter; details name it"),
          ...denied,
        },
      },
    },
    "/api/v1/me": {
      get: {
        tags: [TAG],
        operationId: "whoAmI",
        summary: "The calling key's id, role and tenant",
        responses: {
          200: body({
            type: "object",
            properties: {
              key_id: { type: "string" },
              role: { type: "string", enum: [...ROLES] },
              tenant: { type: ["string", "null"] },
            },
          }, "The caller"),
          ...denied,
        },
      },
    },
    "/api/v1/overview": {
      get: {
        tags: [TAG],
        operationId: "overview",
        summary: "The service now and a sample every 5 s over the last 15 minutes",
        responses: {
          200: body({
            type: "object",
            properties: {
              time: { type: "string", format: "date-time" },
              interval_s: { type: "number" },
              window_s: { type: "number" },
              now: {
                type: "object",
                description: "queued per priority, instances per language by state " +
                  "(warm, spare, starting, busy), memory (usedBytes, budgetBytes), running, " +
                  "completed, failed",
              },
              samples: {
                type: "array",
                items: {
                  type: "object",
                  description: "t (epoch ms), runs per language, runsPerS, errors, p50, p95, " +
                    "p99 (ms), cold (runs on an instance of their own), coldStartMs, queued, " +
                    "instances, memory",
                },
              },
              recent_errors: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    t: { type: "number" },
                    language: { type: "string" },
                    status: { type: "string" },
                    message: { type: "string" },
                    instance: { type: "string" },
                  },
                },
              },
            },
          }, "The overview"),
          ...denied,
        },
      },
    },
    "/console": {
      get: {
        tags: [TAG],
        operationId: "console",
        summary: "The operator console (a page; its data needs an admin or viewer key)",
        security: [],
        responses: { 200: { description: "HTML", content: { "text/html": {} } } },
      },
    },
    "/api/v1/audit/actions": {
      get: {
        tags: [TAG],
        operationId: "listAuditActions",
        summary: "The actions the service records, and those seen so far",
        responses: {
          200: body({
            type: "object",
            properties: {
              actions: { type: "array", items: { type: "string" } },
              seen: { type: "array", items: { type: "string" } },
              refused_calls: { type: "array", items: { type: "string" } },
            },
          }, "Actions"),
          ...denied,
        },
      },
    },
  };
}
