/** The dead-letter routes of the admin API (`/api/v1/dlq`) in the OpenAPI document. */
import { DEAD_LETTER_STATES } from "../jobs/types.ts";
import { RETRY_CAUSES } from "../jobs/retry_policy.ts";
import type { PathHelpers } from "./openapi_jobs.ts";

type Json = Record<string, unknown>;

const time = { type: ["string", "null"], format: "date-time" };

/** A dead letter in a listing. */
const SUMMARY: Json = {
  type: "object",
  properties: {
    id: { type: "string" },
    state: {
      type: "string",
      enum: [...DEAD_LETTER_STATES],
      description: "pending: dead, untouched; retried: queued again since (its job may have " +
        "moved on); discarded: set aside, still kept",
    },
    status: { type: "string", description: "Its job's status now" },
    key_id: { type: ["string", "null"], description: "The API key that submitted it" },
    tenant: {
      type: ["string", "null"],
      description: "The tenant it was submitted for; for a job naming none, its key id",
    },
    language: { type: "string" },
    attempts: { type: "integer" },
    error: { type: "string", description: "Why it is dead (absent once retried)" },
    created_at: time,
    dead_at: { ...time, description: "When it last died" },
    finished_at: time,
    code_preview: { type: "string", description: "The first 120 characters of its code" },
  },
};

/** A dead letter whole. */
const LETTER: Json = {
  type: "object",
  properties: {
    ...(SUMMARY.properties as Json),
    owner: { type: "string", description: "Its owner as the job store keeps it" },
    max_attempts: { type: ["integer", "null"], description: "null: FAAS_JOB_MAX_ATTEMPTS" },
    retry_on: { type: "array", items: { type: "string", enum: [...RETRY_CAUSES] } },
    request: {
      type: "object",
      description: "The request the job was made with: language, code, input, stdin, args, " +
        "files, timeout, priority",
    },
    history: {
      type: "array",
      items: {
        type: "object",
        properties: {
          attempt: { type: "integer" },
          started_at: time,
          finished_at: time,
          outcome: { type: "string", enum: ["done", "failed", "cancelled", "lost"] },
          run_status: { type: "string" },
          error: { type: "string" },
          instance_id: { type: "string" },
        },
      },
      description: "Every attempt as it ended, oldest first, with its error and times",
    },
  },
};

const COUNTS: Json = {
  type: "object",
  properties: Object.fromEntries(
    ["total", ...DEAD_LETTER_STATES].map((k) => [k, { type: "integer" }]),
  ),
};

const IDS_BODY = {
  required: true,
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["ids"],
        properties: { ids: { type: "array", items: { type: "string" }, minItems: 1 } },
      },
    },
  },
};

const PER_ID: Json = {
  description: "What became of each id, and how many were done",
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: {
          results: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: { type: "string" },
                outcome: { type: "string", enum: ["ok", "not_found", "not_dead"] },
              },
            },
          },
          ok: { type: "integer" },
        },
      },
    },
  },
};

const ok = (description: string, schema: Json) => ({
  description,
  content: { "application/json": { schema } },
});
const query = (name: string, description: string, schema: Json = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  schema,
  description,
});
const ID = { name: "id", in: "path", required: true, schema: { type: "string" } };

/** The answers every admin route may give besides its own. */
export function adminErrors(error: PathHelpers["error"], write: boolean): Json {
  return {
    401: error("Missing or invalid key"),
    403: error(
      write
        ? "Not an admin key (viewer keys only read; runner keys have no admin API), or the " +
          "admin API is off (no FAAS_ADMIN_KEYS)"
        : "A runner key, or the admin API is off (no FAAS_ADMIN_KEYS)",
    ),
  };
}

/** The `/api/v1/dlq` paths. */
export function dlqPaths({ error }: PathHelpers): Json {
  const read = adminErrors(error, false);
  const write = adminErrors(error, true);
  const tag = ["admin"];
  return {
    "/api/v1/dlq": {
      get: {
        operationId: "listDeadLetters",
        tags: tag,
        summary: "The dead letters of every owner, newest death first, page by page",
        parameters: [
          query("page", "From 1", { type: "integer", minimum: 1, default: 1 }),
          query("per_page", "1 to 500", { type: "integer", minimum: 1, maximum: 500, default: 50 }),
          query("tenant", "Their tenant; for jobs naming none, their API key id"),
          query("language", "python, javascript or typescript (or an alias)"),
          query("status", "Their state", { type: "string", enum: [...DEAD_LETTER_STATES] }),
          query("q", "Text their error or code holds, A-Z in either case (at most 200)"),
          query("from", "Died at or after: ISO 8601 or epoch ms"),
          query("to", "Died at or before: ISO 8601 or epoch ms"),
        ],
        responses: {
          200: ok("A page", {
            type: "object",
            properties: {
              dead_letters: { type: "array", items: SUMMARY },
              total: { type: "integer", description: "How many match in all" },
              page: { type: "integer" },
              per_page: { type: "integer" },
            },
          }),
          400: error("A parameter out of range; details name it"),
          ...read,
        },
      },
      delete: {
        operationId: "purgeDeadLetters",
        tags: tag,
        summary: "Delete every pending and discarded dead letter (retried ones stay)",
        parameters: [
          {
            ...query("confirm", "Must be true", { type: "string", enum: ["true"] }),
            required: true,
          },
        ],
        responses: {
          200: ok("How many were deleted", {
            type: "object",
            properties: { deleted: { type: "integer" } },
          }),
          400: error("Without confirm=true; details name confirm"),
          ...write,
        },
      },
    },
    "/api/v1/dlq/stats": {
      get: {
        operationId: "deadLetterStats",
        tags: tag,
        summary: "How many dead letters stand in each state",
        responses: { 200: ok("Counts", COUNTS), ...read },
      },
    },
    "/api/v1/dlq/{id}": {
      parameters: [ID],
      get: {
        operationId: "getDeadLetter",
        tags: tag,
        summary: "A dead letter: its request (code and input), owner and every attempt",
        responses: {
          200: ok("The dead letter", LETTER),
          ...read,
          404: error("No job with this id ever died (or it was deleted)"),
        },
      },
    },
    "/api/v1/dlq/{id}/retry": {
      parameters: [ID],
      post: {
        operationId: "retryDeadLetter",
        tags: tag,
        summary: "Queue a dead job again (its state becomes retried); audited as dlq.retry",
        responses: {
          202: { description: "Queued again: {id, state, status}" },
          ...write,
          404: error("No such job"),
          409: error("The job is not dead"),
        },
      },
    },
    "/api/v1/dlq/{id}/discard": {
      parameters: [ID],
      post: {
        operationId: "discardDeadLetter",
        tags: tag,
        summary: "Set a dead job aside: kept, no longer pending; audited as dlq.discard",
        responses: {
          200: { description: "Discarded: {id, state, status}" },
          ...write,
          404: error("No such job"),
          409: error("The job is not dead"),
        },
      },
    },
    "/api/v1/dlq/retry": {
      post: {
        operationId: "retryDeadLetters",
        tags: tag,
        summary: "Retry many dead jobs ({ids}); each answered ok, not_found or not_dead",
        requestBody: IDS_BODY,
        responses: { 200: PER_ID, 400: error("No ids, or not strings"), ...write },
      },
    },
    "/api/v1/dlq/discard": {
      post: {
        operationId: "discardDeadLetters",
        tags: tag,
        summary: "Discard many dead jobs ({ids}); each answered ok, not_found or not_dead",
        requestBody: IDS_BODY,
        responses: { 200: PER_ID, 400: error("No ids, or not strings"), ...write },
      },
    },
  };
}
