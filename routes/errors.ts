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
  UnavailableError,
} from "../core/errors.ts";

/** Body of every error response. */
export interface ErrorBody {
  error: string;
  details?: { field: string; message: string }[];
}

/** Seconds a client should wait before retrying after 429 or 503. */
const RETRY_AFTER_S = "1";

/** Maps an error to its response; anything unknown is a 500 without detail. */
export function errorResponse(c: Context, err: unknown): Response {
  // Nobody is listening: something small, for the log.
  if (err instanceof ClientGoneError) return c.body(null, 499 as 400);
  if (err instanceof BadRequestError) {
    return c.json<ErrorBody>({ error: err.message, details: err.details }, 400);
  }
  if (err instanceof ForbiddenError) {
    return c.json<ErrorBody>({ error: err.message, details: err.details }, 403);
  }
  if (err instanceof NotFoundError) return c.json<ErrorBody>({ error: err.message }, 404);
  if (err instanceof ConflictError) {
    return c.json<ErrorBody>({ error: err.message, details: err.details }, 409);
  }
  if (err instanceof PayloadTooLargeError) {
    return c.json<ErrorBody>({
      error: err.message,
      details: [{ field: "body", message: err.message }],
    }, 413);
  }
  if (err instanceof QueueFullError) {
    c.header("Retry-After", RETRY_AFTER_S);
    return c.json<ErrorBody>({ error: err.message }, 429);
  }
  if (err instanceof KeyLimitError) {
    c.header("Retry-After", String(err.retryAfterS));
    return c.json<ErrorBody>({ error: err.message }, 429);
  }
  if (err instanceof JobStorageFullError) {
    return c.json<ErrorBody>({
      error: err.message,
      details: [{
        field: "FAAS_JOB_MAX_OWNER_BYTES",
        message: `Results kept: ${err.usedBytes} bytes; limit: ${err.limitBytes} bytes`,
      }],
    }, 507);
  }
  if (err instanceof QueueTimeoutError || err instanceof UnavailableError) {
    c.header("Retry-After", RETRY_AFTER_S);
    return c.json<ErrorBody>({ error: err.message }, 503);
  }
  console.error("Unexpected error:", err);
  return c.json<ErrorBody>({ error: "Internal server error" }, 500);
}
