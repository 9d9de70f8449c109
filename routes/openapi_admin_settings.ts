/** The settings routes of the admin API (`/api/v1/settings`) in the OpenAPI document. */
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
