/** The one place where error classes become HTTP responses. */
import type { Context } from "hono";
import {
  BadRequestError,
  ClientGoneError,
  ConflictError,
  ForbiddenError,
  JobStorageFullError,
  KeyLimitError,
  NotFoundError,
  PayloadTooLargeError,
  QueueFullError,
  QueueTimeoutError,
  QuotaExceededError,
  SessionElsewhereError,
  SessionFileTooLargeError,
  SessionLimitError,
  SessionLostError,
  SessionReplicaGoneError,
  UnauthorizedError,
  UnavailableError,
} from "../core/errors.ts";

/** Body of every error response. */
export interface ErrorBody {
  error: string;
  details?: { field: string; message: string }[];
  /** The same as `error`, for Piston's clients, which read `message`. */
  message?: string;
  /** For a quota exceeded (429): which, its limit, what is used, when it resets. */
  quota?: string;
  tenant?: string;
  limit?: number;
  used?: number;
  reset_at?: string | null;
  /** For a session on another replica (409) or on one that is gone (410): its id. */
  replica?: string;
}

/** Seconds a client should wait before retrying after 429 or 503. */
const RETRY_AFTER_S = "1";

/**
 * Maps an error to its response; anything unknown is a 500 without detail.
 * Under Piston's paths the body also carries `message`, where Piston's
 * clients look for it.
 */
export function errorResponse(c: Context, err: unknown): Response {
  const piston = c.req.path.startsWith("/api/v2/");
  const send = (body: ErrorBody, status: number) =>
    c.json<ErrorBody>(piston ? { message: body.error, ...body } : body, status as 400);
  return mapError(c, err, send);
}

function mapError(
  c: Context,
  err: unknown,
  send: (body: ErrorBody, status: number) => Response,
): Response {
  // Nobody is listening: something small, for the log.
  if (err instanceof ClientGoneError) return c.body(null, 499 as 400);
  if (err instanceof BadRequestError) {
    return send({ error: err.message, details: err.details }, 400);
  }
  if (err instanceof UnauthorizedError) return send({ error: err.message }, 401);
  if (err instanceof ForbiddenError) {
    return send({ error: err.message, details: err.details }, 403);
  }
  if (err instanceof NotFoundError) {
    return send({ error: err.message, details: err.details }, 404);
  }
  if (err instanceof ConflictError) {
    return send({ error: err.message, details: err.details }, 409);
  }
  if (err instanceof SessionElsewhereError) {
    return send({ error: err.message, replica: err.replica }, 409);
  }
  if (err instanceof SessionReplicaGoneError) {
    return send({
      error: err.message,
      details: [{ field: "session", message: err.reason }],
      replica: err.replica,
    }, 410);
  }
  if (err instanceof SessionLostError) {
    return send({ error: err.message, details: [{ field: "session", message: err.reason }] }, 410);
  }
  if (err instanceof SessionLimitError) {
    c.header("Retry-After", RETRY_AFTER_S);
    return send({ error: err.message }, 429);
  }
  if (err instanceof SessionFileTooLargeError) {
    return send({ error: err.message, details: [{ field: "path", message: err.message }] }, 413);
  }
  if (err instanceof PayloadTooLargeError) {
    return send({
      error: err.message,
      details: [{ field: "body", message: err.message }],
    }, 413);
  }
  if (err instanceof QueueFullError) {
    c.header("Retry-After", RETRY_AFTER_S);
    return send({ error: err.message }, 429);
  }
  if (err instanceof QuotaExceededError) {
    c.header("Retry-After", String(err.retryAfterS));
    return send({
      error: err.message,
      quota: err.quota,
      tenant: err.tenant,
      limit: err.limit,
      used: err.used,
      reset_at: err.resetAt === undefined ? null : new Date(err.resetAt).toISOString(),
    }, 429);
  }
  if (err instanceof KeyLimitError) {
    c.header("Retry-After", String(err.retryAfterS));
    return send({ error: err.message }, 429);
  }
  if (err instanceof JobStorageFullError) {
    return send({
      error: err.message,
      details: [{
        field: "FAAS_JOB_MAX_OWNER_BYTES",
        message: `Results kept: ${err.usedBytes} bytes; limit: ${err.limitBytes} bytes`,
      }],
    }, 507);
  }
  if (err instanceof QueueTimeoutError || err instanceof UnavailableError) {
    c.header("Retry-After", RETRY_AFTER_S);
    return send({ error: err.message }, 503);
  }
  console.error("Unexpected error:", err);
  return send({ error: "Internal server error" }, 500);
}
