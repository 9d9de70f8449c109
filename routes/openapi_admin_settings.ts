/**
 * The settings and retention routes of the admin API (`/api/v1/settings`,
 * `/api/v1/retention`) in the OpenAPI document.
 */
import { SETTING_GROUPS } from "../admin/settings_catalog.ts";
import { adminErrors } from "./openapi_admin_dlq.ts";
import type { PathHelpers } from "./openapi_jobs.ts";

type Json = Record<string, unknown>;

/** One setting. */
const ENTRY: Json = {
  type: "object",
  properties: {
    key: { type: "string", examples: ["retention.audit_days"] },
    value: { description: 'Its value in effect; secrets show as "***"' },
    source: {
      type: "string",
      enum: ["env", "default", "runtime"],
      description: "env: set by the environment; runtime: changed through this API",
    },
    runtime_editable: {
      type: "boolean",
      description: "Whether PUT may change it while the service runs",
    },
    env: { type: "array", items: { type: "string" }, description: "The variables it is read from" },
  },
};

const KEY = { name: "key", in: "path", required: true, schema: { type: "string" } };
const ok = (description: string, schema: Json) => ({
  description,
  content: { "application/json": { schema } },
});

/** The `/api/v1/settings` paths. */
export function settingsPaths({ error }: PathHelpers): Json {
  const read = adminErrors(error, false);
  const write = adminErrors(error, true);
  const tag = ["admin"];
  return {
    "/api/v1/settings": {
      get: {
        operationId: "listSettings",
        tags: tag,
        summary: "Every setting in effect, by group, with its source; secrets masked",
        responses: {
          200: ok("Settings by group", {
            type: "object",
            properties: Object.fromEntries(
              SETTING_GROUPS.map((g) => [g, { type: "array", items: ENTRY }]),
            ),
          }),
          ...read,
        },
      },
    },
    "/api/v1/settings/{key}": {
      parameters: [KEY],
      get: {
        operationId: "getSetting",
        tags: tag,
        summary: "One setting",
        responses: { 200: ok("The setting", ENTRY), ...read, 404: error("No such setting") },
      },
      put: {
        operationId: "updateSetting",
        tags: tag,
        summary: "Change a runtime setting ({value}); kept across restarts and shared by " +
          "replicas; audited as settings.update",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { type: "object", required: ["value"], properties: { value: {} } },
            },
          },
        },
        responses: {
          200: ok("The setting as changed", ENTRY),
          400: error("A value the setting cannot take; details name value"),
          ...write,
          404: error("No such setting"),
          409: error("A setting read at start-up only: change its variable and restart"),
        },
      },
    },
  };
}

/** One kind of kept data. */
const KEPT: Json = {
  type: "object",
  properties: {
    count: { type: "integer" },
    oldest: {
      type: ["string", "null"],
      format: "date-time",
      description: "When the oldest finished (a job), died (a dead letter) or was written",
    },
    bytes: { type: "integer", description: "Roughly what it takes in the store" },
    days: { type: "number", description: "How long it is kept (the retention.* setting)" },
  },
};

const DELETED: Json = {
  type: "object",
  properties: {
    deleted: {
      type: "object",
      properties: Object.fromEntries(
        ["jobs", "dead_letters", "audit", "usage_history"].map((k) => [k, { type: "integer" }]),
      ),
    },
    older_than_days: { type: ["integer", "null"] },
  },
};

/** The `/api/v1/retention` paths. */
export function retentionPaths({ error }: PathHelpers): Json {
  const tag = ["admin"];
  return {
    "/api/v1/retention/stats": {
      get: {
        operationId: "retentionStats",
        tags: tag,
        summary: "What done and cancelled jobs, dead letters, the audit log and usage history hold",
        responses: {
          200: ok("Per kind of data", {
            type: "object",
            properties: { jobs: KEPT, dead_letters: KEPT, audit: KEPT, usage_history: KEPT },
          }),
          ...adminErrors(error, false),
        },
      },
    },
    "/api/v1/retention/cleanup": {
      post: {
        operationId: "retentionCleanup",
        tags: tag,
        summary: "Delete what is older than older_than_days, or than each kind's configured " +
          "days without it; audited as retention.cleanup",
        requestBody: {
          required: false,
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: { older_than_days: { type: "integer", minimum: 1 } },
              },
            },
          },
        },
        responses: {
          200: ok("How many of each were deleted", DELETED),
          400: error("older_than_days not a whole number of days of at least 1"),
          ...adminErrors(error, true),
        },
      },
    },
  };
}
