/** The usage and quota routes of the admin API in the OpenAPI document (`openapi.ts`). */
import type { PathHelpers } from "./openapi_jobs.ts";

type Json = Record<string, unknown>;

const TAG = "Admin: usage and quotas";

const ms = (description: string) => ({ type: "number", description });
const COUNTERS: Record<string, Json> = {
  invocations: { type: "integer", description: "Runs that finished" },
  errors: {
    type: "integer",
    description:
      "Runs that ended in an error (an exception, a non-zero exit) or whose sandbox died",
  },
  timeouts: { type: "integer" },
  memory_kills: { type: "integer", description: "Runs stopped for their memory" },
  cpu_ms: ms("CPU time, ms"),
  wall_ms: ms("Wall-clock time, ms"),
  peak_memory_bytes: { type: "integer", description: "The largest peak of any one run" },
};
const counters = (extra: Record<string, Json>, required: string[]): Json => ({
  type: "object",
  required: [...required, ...Object.keys(COUNTERS)],
  properties: { ...extra, ...COUNTERS },
});

const LIMIT = (description: string): Json => ({
  type: ["integer", "null"],
  minimum: 0,
  description: `${description}; null or absent for no limit`,
});
const LIMITS: Json = {
  type: "object",
  additionalProperties: false,
  properties: {
    invocations_per_day: LIMIT("Runs admitted per UTC day (each run of a batch counts)"),
    cpu_ms_per_day: LIMIT("CPU ms per UTC day; runs are refused once it is used up"),
    max_concurrent: LIMIT("Runs in progress at once, across replicas sharing Redis"),
    warn_at: {
      type: "number",
      minimum: 0,
      maximum: 1,
      default: 0.8,
      description: "Share of a daily limit from which answers carry X-Quota-Warning",
    },
  },
};
const BY_QUOTA = (type: string | string[]): Json => ({
  type: "object",
  properties: {
    invocations_per_day: { type },
    cpu_ms_per_day: { type },
    max_concurrent: { type },
  },
});

/** The schemas these paths refer to, for `components.schemas`. */
export const usageSchemas: Record<string, Json> = {
  Usage: {
    type: "object",
    required: ["tenants"],
    properties: {
      tenants: {
        type: "array",
        description: "By tenant name; empty when no tenant had runs in the range",
        items: counters({
          tenant: { type: "string" },
          keys: {
            type: "array",
            description: 'Each key\'s share, by key id ("" for runs without a key)',
            items: counters({ key_id: { type: "string" } }, ["key_id"]),
          },
        }, ["tenant", "keys"]),
      },
    },
  },
  UsageHistory: {
    type: "object",
    required: ["tenant", "bucket", "points"],
    properties: {
      tenant: { type: "string" },
      bucket: { type: "string", enum: ["hour", "day"] },
      points: {
        type: "array",
        description: "Oldest first; buckets without runs are left out",
        items: counters({ start: { type: "string", format: "date-time" } }, ["start"]),
      },
    },
  },
  QuotaLimits: LIMITS,
  Quota: {
    type: "object",
    required: ["tenant", "limits", "used", "percent", "warning", "reset_at", "updated_at"],
    properties: {
      tenant: { type: "string" },
      limits: { $ref: "#/components/schemas/QuotaLimits" },
      used: {
        ...BY_QUOTA("number"),
        description: "Today (UTC): runs admitted, CPU ms used; runs in progress now",
      },
      percent: { ...BY_QUOTA(["number", "null"]), description: "used / limit, %; null: no limit" },
      warning: { type: "boolean", description: "A daily limit is at or past warn_at" },
      reset_at: { type: "string", format: "date-time", description: "The next UTC midnight" },
      updated_at: { type: "string", format: "date-time" },
    },
  },
};

const TENANT = {
  name: "tenant",
  in: "path",
  required: true,
  schema: { type: "string", minLength: 1, maxLength: 128 },
  description: "The usage tenant: the key's tenant, else the tenant the request named, else " +
    'the key id, else "" (no keys)',
};
const TIME = (name: string, description: string) => ({
  name,
  in: "query",
  required: false,
  schema: { type: "string" },
  description: `ISO 8601 or epoch ms; ${description}`,
});
const RANGE = [
  TIME("from", "hours from the one holding this time (default: the first)"),
  TIME("to", "hours starting up to this time (default: now); from must not be after it"),
];

/** The `/api/v1/usage` and `/api/v1/quota` paths. Admin API: they always take a key. */
export function usagePaths({ json, error }: PathHelpers): Json {
  const common = {
    401: error("Missing or invalid API key"),
    403: error("A runner key, a viewer key changing something, or no FAAS_ADMIN_KEYS"),
  };
  const quota = json("Quota", "The quota with what it is measured against");
  return {
    "/api/v1/usage": {
      get: {
        operationId: "getUsage",
        tags: [TAG],
        summary: "What each tenant's runs used, with each key's share, by UTC hour",
        parameters: [{
          name: "tenant",
          in: "query",
          required: false,
          schema: { type: "string" },
          description: "One tenant only; unknown: an empty list",
        }, ...RANGE],
        responses: {
          200: json("Usage", "Usage by tenant"),
          400: error("A bad tenant, from or to, or from after to; details name the field"),
          ...common,
        },
      },
    },
    "/api/v1/usage/{tenant}/history": {
      get: {
        operationId: "getUsageHistory",
        tags: [TAG],
        summary: "One tenant's usage by hour or day (UTC)",
        parameters: [TENANT, {
          name: "bucket",
          in: "query",
          required: false,
          schema: { type: "string", enum: ["hour", "day"], default: "hour" },
        }, ...RANGE],
        responses: {
          200: json("UsageHistory", "The series; no points for an unknown tenant"),
          400: error("A bad bucket, tenant, from or to; details name the field"),
          ...common,
        },
      },
    },
    "/api/v1/quota": {
      get: {
        operationId: "listQuotas",
        tags: [TAG],
        summary: "Every tenant's quota with what it used today (UTC)",
        responses: {
          200: {
            description: "By tenant",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    quotas: { type: "array", items: { $ref: "#/components/schemas/Quota" } },
                  },
                },
              },
            },
          },
          ...common,
        },
      },
    },
    "/api/v1/quota/{tenant}": {
      parameters: [TENANT],
      get: {
        operationId: "getQuota",
        tags: [TAG],
        summary: "A tenant's quota",
        responses: { 200: quota, 400: error("A bad tenant"), ...common, 404: error("No quota") },
      },
      put: {
        operationId: "putQuota",
        tags: [TAG],
        summary: "Set a tenant's quota, replacing any earlier one (audited as quota.update)",
        description:
          "Enforced before runs are queued: past a daily limit, or with max_concurrent " +
          "runs in progress, runs get 429 with Retry-After; a limit of 0 refuses every run.",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { $ref: "#/components/schemas/QuotaLimits" },
              example: { invocations_per_day: 10000, cpu_ms_per_day: 600000, max_concurrent: 4 },
            },
          },
        },
        responses: {
          200: quota,
          400: error(
            "Not a JSON object, an unknown field, a negative or fractional limit, or " +
              "warn_at outside 0 to 1; details name the field",
          ),
          ...common,
        },
      },
      delete: {
        operationId: "deleteQuota",
        tags: [TAG],
        summary: "Remove a tenant's quota (audited as quota.delete)",
        responses: {
          200: { description: "Removed: {tenant, limits, deleted: true}" },
          400: error("A bad tenant"),
          ...common,
          404: error("No quota"),
        },
      },
    },
  };
}
