/** The JSON forms of jobs, and the listing cursor, for the jobs API. */
import { BadRequestError } from "../core/errors.ts";
import type { AttemptRecord, Job, JobCursor, JobSummary } from "../jobs/types.ts";

const iso = (ms?: number) => ms === undefined ? null : new Date(ms).toISOString();

/** The JSON form of a job in a listing: no run, no result. */
export function summaryBody(job: JobSummary): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    attempts: job.attempts,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    ...(job.error && { error: job.error }),
  };
}

/** One attempt as the API shows it. */
export function attemptBody(a: AttemptRecord): Record<string, unknown> {
  return {
    attempt: a.attempt,
    started_at: iso(a.startedAt),
    finished_at: iso(a.finishedAt),
    outcome: a.outcome,
    ...(a.runStatus !== undefined && { run_status: a.runStatus }),
    ...(a.error !== undefined && { error: a.error }),
    ...(a.instance !== undefined && { instance_id: a.instance }),
  };
}

/** What the job was asked to run, as its request said it. */
export function requestBody(job: Job): Record<string, unknown> {
  const r = job.run.request;
  let input: unknown = null;
  try {
    input = JSON.parse(r.input);
  } catch {
    // Stored by this service as JSON text; nothing else is expected.
  }
  return {
    language: r.language,
    code: r.code,
    input,
    ...(r.stdin && { stdin: r.stdin }),
    ...(r.args?.length && { args: r.args }),
    ...(r.files?.length && { files: r.files }),
    timeout: r.timeoutMs,
    priority: r.priority,
  };
}

/**
 * The JSON form of a job: its attempts' history always, and for a dead
 * job (a dead letter) the request it was made with, to judge a retry by.
 */
export function jobBody(job: Job): Record<string, unknown> {
  const { error, ...summary } = summaryBody(job);
  return {
    ...summary,
    history: (job.history ?? []).map(attemptBody),
    ...(job.status === "dead" && { request: requestBody(job) }),
    result: job.result ?? null,
    // Said outright, so a cut result is never taken for the whole one.
    result_truncated: job.resultNote !== undefined,
    ...(job.resultNote !== undefined && { result_note: job.resultNote }),
    ...(error !== undefined && { error }),
  };
}

/** The `next` token of a listing: opaque to callers. */
export function encodeCursor(cursor: JobCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([cursor.createdAt, cursor.id]));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The position a `next` token names; BadRequestError naming `cursor` if it is none. */
export function decodeCursor(token: string): JobCursor {
  try {
    const text = atob(token.replace(/-/g, "+").replace(/_/g, "/"));
    const [createdAt, id] = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0))),
    );
    if (Number.isSafeInteger(createdAt) && typeof id === "string" && id.length <= 200) {
      return { createdAt, id };
    }
  } catch {
    // Reported below.
  }
  throw new BadRequestError("Invalid request: check cursor", [
    { field: "cursor", message: "Must be the next value of an earlier listing" },
  ]);
}
