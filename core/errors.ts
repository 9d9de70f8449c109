/**
 * Conditions callers handle, as named errors. `routes/errors.ts` maps them
 * to HTTP in one place.
 */

/** One invalid field of a request. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** The request is malformed or a field is invalid (400). */
export class BadRequestError extends Error {
  override name = "BadRequestError";
  readonly details: FieldIssue[];
  constructor(message: string, details: FieldIssue[] = []) {
    super(message);
    this.details = details;
  }
}

/** The request has no valid API key (401). */
export class UnauthorizedError extends Error {
  override name = "UnauthorizedError";
}

/** The caller may not do what the request asks (403). */
export class ForbiddenError extends Error {
  override name = "ForbiddenError";
  readonly details: FieldIssue[];
  constructor(message: string, details: FieldIssue[] = []) {
    super(message);
    this.details = details;
  }
}

/** What the request names does not exist (404). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  readonly details: FieldIssue[];
  constructor(message: string, details: FieldIssue[] = []) {
    super(message);
    this.details = details;
  }
}

/** The request conflicts with an earlier one, or with what can change now (409). */
export class ConflictError extends Error {
  override name = "ConflictError";
  readonly details: FieldIssue[];
  constructor(message: string, details: FieldIssue[] = []) {
    super(message);
    this.details = details;
  }
}

/**
 * A session's instance is gone (its sandbox died or was killed), and with
 * it the session's state (410). `reason` says why, in words.
 */
export class SessionLostError extends Error {
  override name = "SessionLostError";
  constructor(readonly reason: string) {
    super(`Session is gone: ${reason}`);
  }
}

/**
 * The session lives on another replica, which is alive (409): its calls
 * must reach that replica. `replica` is its id.
 */
export class SessionElsewhereError extends Error {
  override name = "SessionElsewhereError";
  constructor(readonly sessionId: string, readonly replica: string) {
    super(
      `Session ${sessionId} lives on replica ${replica}: its calls must reach that replica ` +
        "(route by session id at the load balancer)",
    );
  }
}

/**
 * The replica holding the session stopped (its heartbeat lapsed), and the
 * session's state went with it (410).
 */
export class SessionReplicaGoneError extends SessionLostError {
  override name = "SessionReplicaGoneError";
  constructor(readonly sessionId: string, readonly replica: string) {
    super(`the replica holding it (${replica}) is gone, and its state with it`);
  }
}

/** The caller or the service has as many sessions as allowed (429). */
export class SessionLimitError extends Error {
  override name = "SessionLimitError";
}

/** The request body is larger than allowed (413). */
export class PayloadTooLargeError extends Error {
  override name = "PayloadTooLargeError";
  constructor(readonly limitBytes: number) {
    super(`Request body exceeds the limit of ${limitBytes} bytes`);
  }
}

/** A session file is larger than a limit allows, or would take the session past one (413). */
export class SessionFileTooLargeError extends Error {
  override name = "SessionFileTooLargeError";
}

/** The caller's kept jobs hold as many result bytes as its budget allows (507). */
export class JobStorageFullError extends Error {
  override name = "JobStorageFullError";
  constructor(readonly usedBytes: number, readonly limitBytes: number) {
    super(
      `Job storage budget used up: your kept jobs hold ${usedBytes} bytes of results, ` +
        `the limit is ${limitBytes} bytes (FAAS_JOB_MAX_OWNER_BYTES); ` +
        "submit again once finished jobs expire (FAAS_JOB_TTL)",
    );
  }
}

/** The queue holds as many runs as allowed (429). */
export class QueueFullError extends Error {
  override name = "QueueFullError";
  constructor(readonly limit: number) {
    super(`Queue is full (${limit} runs waiting); retry later`);
  }
}

/** An API key is over one of its limits (429). */
export class KeyLimitError extends Error {
  override name = "KeyLimitError";
  constructor(
    message: string,
    readonly reason: "key_rate_limit" | "key_concurrency",
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/**
 * A tenant is over one of its quotas (429): its runs of the UTC day, its
 * CPU time of the day, or its runs in progress.
 */
export class QuotaExceededError extends Error {
  override name = "QuotaExceededError";
  constructor(
    message: string,
    readonly tenant: string,
    readonly quota: "invocations_per_day" | "cpu_ms_per_day" | "max_concurrent",
    readonly limit: number,
    readonly used: number,
    /** When a daily quota starts afresh (epoch ms); undefined for `max_concurrent`. */
    readonly resetAt: number | undefined,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/** A run waited in the queue longer than allowed (503). */
export class QueueTimeoutError extends Error {
  override name = "QueueTimeoutError";
  constructor(readonly waitedMs: number) {
    super(`Run waited ${Math.round(waitedMs)} ms in the queue without a free instance`);
  }
}

/** The service is starting or shutting down (503). */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/**
 * The reason a run's owner aborts it with when it cancels the run (a job
 * cancelled), as opposed to a caller that went away.
 */
export class CancelledError extends Error {
  override name = "CancelledError";
  constructor() {
    super("Cancelled");
  }
}

/** The caller went away before the run finished; nobody reads the answer. */
export class ClientGoneError extends Error {
  override name = "ClientGoneError";
  constructor() {
    super("Client disconnected");
  }
}
