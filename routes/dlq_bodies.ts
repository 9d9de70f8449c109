/**
 * The JSON forms of dead letters for `/api/v1/dlq`, and the listing's
 * query read into a store query (faults as 400 naming the parameter).
 */
import type { Context } from "hono";
import { BadRequestError } from "../core/errors.ts";
import {
  DEAD_LETTER_STATES,
  type DeadLetterQuery,
  type DeadLetterState,
  deadLetterState,
  type DeadLetterSummary,
} from "../jobs/types.ts";
import { DEFAULT_RETRY_ON } from "../jobs/retry_policy.ts";
import { keyOfOwner, tenantOfOwner } from "../jobs/owner.ts";
import type { Job } from "../jobs/types.ts";
import { attemptBody, requestBody } from "./job_bodies.ts";
import { pageOf, timeOf } from "./admin_input.ts";
import { LANGUAGE_ALIASES, TENANT_PATTERN } from "./run_request.ts";

const iso = (ms?: number) => ms === undefined ? null : new Date(ms).toISOString();

/** Characters of code a listing shows. */
const PREVIEW_CHARS = 120;
/** Longest `q` a listing takes. */
const MAX_TEXT = 200;

/** Who a dead letter's job belongs to: its API key id and its tenant. */
function ownerFields(owner: string) {
  return { key_id: keyOfOwner(owner) || null, tenant: tenantOfOwner(owner) ?? null };
}

/** A dead letter in a listing: its code cut to a preview. */
export function letterSummaryBody(letter: DeadLetterSummary): Record<string, unknown> {
  return {
    id: letter.id,
    state: letter.state,
    status: letter.status,
    ...ownerFields(letter.owner),
    language: letter.language,
    attempts: letter.attempts,
    ...(letter.error !== undefined && { error: letter.error }),
    created_at: iso(letter.createdAt),
    dead_at: iso(letter.deadAt),
    finished_at: iso(letter.finishedAt),
    code_preview: [...letter.code].slice(0, PREVIEW_CHARS).join(""),
  };
}

/** A dead letter whole: the request it was made with and every attempt. */
export function letterBody(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    state: deadLetterState(job),
    status: job.status,
    ...ownerFields(job.owner),
    owner: job.owner,
    attempts: job.attempts,
    max_attempts: job.run.maxAttempts ?? null,
    retry_on: job.run.retryOn ?? DEFAULT_RETRY_ON,
    ...(job.error !== undefined && { error: job.error }),
    created_at: iso(job.createdAt),
    dead_at: iso(job.deadAt),
    finished_at: iso(job.finishedAt),
    request: requestBody(job),
    history: (job.history ?? []).map(attemptBody),
  };
}

const fault = (field: string, message: string) =>
  new BadRequestError(`Invalid request: check ${field}`, [{ field, message }]);

/** The listing's filters and page from the query string. */
export function letterQueryOf(
  c: Context,
): { query: DeadLetterQuery; page: number; perPage: number } {
  const { page, perPage, offset } = pageOf(c);
  const query: DeadLetterQuery = { limit: perPage, offset };
  const status = c.req.query("status") || undefined;
  if (status !== undefined) {
    if (!DEAD_LETTER_STATES.includes(status as DeadLetterState)) {
      throw fault("status", `Must be one of ${DEAD_LETTER_STATES.join(", ")}`);
    }
    query.state = status as DeadLetterState;
  }
  const tenant = c.req.query("tenant") || undefined;
  if (tenant !== undefined) {
    if (!TENANT_PATTERN.test(tenant)) {
      throw fault("tenant", "Must be 1 to 128 printable ASCII characters");
    }
    query.tenant = tenant;
  }
  const language = c.req.query("language") || undefined;
  if (language !== undefined) {
    const known = LANGUAGE_ALIASES[language.trim().toLowerCase()];
    if (!known) {
      throw fault("language", `Must be one of ${Object.keys(LANGUAGE_ALIASES).join(", ")}`);
    }
    query.language = known;
  }
  const text = c.req.query("q") || undefined;
  if (text !== undefined) {
    if (text.length > MAX_TEXT) throw fault("q", `Must be at most ${MAX_TEXT} characters`);
    query.text = text;
  }
  const from = timeOf(c, "from");
  const to = timeOf(c, "to");
  if (from !== undefined) query.from = from;
  if (to !== undefined) query.to = to;
  return { query, page, perPage };
}
