/**
 * Optional API keys: `Authorization: Bearer <key>` (or Judge0's
 * `X-Auth-Token: <key>`), compared in constant time, with per-key limits
 * on concurrent runs and runs per minute. Keys never appear in logs or
 * metrics; a short key id (a hash prefix) may.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./app_env.ts";
import { KeyLimitError } from "../core/errors.ts";
import type { KeyUsage } from "../scheduler/key_usage.ts";
import { errorResponse } from "./errors.ts";
export { loadKeys } from "../config/config_keys.ts";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** A key's public id: the first 8 hex characters of its SHA-256. */
export function keyId(key: string): string {
  return digest(key).toString("hex").slice(0, 8);
}

/**
 * The accepted API keys, as hashes and ids. The set can be replaced while
 * the service runs (SIGHUP re-reads the keys file); requests see the new
 * set from the next one on.
 */
export class ApiKeyRing {
  #entries: { hash: Uint8Array; id: string }[];

  constructor(keys: readonly string[]) {
    this.#entries = ApiKeyRing.#hash(keys);
  }

  static #hash(keys: readonly string[]) {
    return keys.map((k) => ({ hash: digest(k), id: keyId(k) }));
  }

  /** How many keys are accepted; 0 means no authentication. */
  get size(): number {
    return this.#entries.length;
  }

  /** Accepts `keys` from now on. */
  replace(keys: readonly string[]): void {
    this.#entries = ApiKeyRing.#hash(keys);
  }

  /** The current keys' hashes and ids. */
  entries(): readonly { hash: Uint8Array; id: string }[] {
    return this.#entries;
  }
}

/** Counts a refusal by reason, for metrics. */
export type OnRejected = (reason: "key_rate_limit" | "key_concurrency") => void;

/**
 * Charges `runs` to the calling key's per-minute budget, all or none, and
 * sets the RateLimit headers; throws `KeyLimitError` when they do not fit.
 * Without API keys there is no key and nothing to charge.
 */
export function chargeRuns(
  c: Context<AppEnv>,
  usage: KeyUsage,
  runs: number,
  onRejected: OnRejected,
): void {
  const id = c.get("keyId");
  if (id === undefined) return;
  const verdict = usage.charge(id, runs);
  if (verdict.limit > 0) {
    c.header("RateLimit-Limit", String(verdict.limit));
    c.header("RateLimit-Remaining", String(verdict.remaining));
    c.header("RateLimit-Reset", String(verdict.resetS));
  }
  if (!verdict.allowed) {
    onRejected("key_rate_limit");
    const more = runs > 1 ? ` (${runs} runs submitted, ${verdict.remaining} left)` : "";
    throw new KeyLimitError(
      `Rate limit of ${verdict.limit} runs per minute reached for key ${id}${more}`,
      "key_rate_limit",
      verdict.resetS,
    );
  }
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, else
 * `X-Auth-Token: <key>`, the header Judge0 clients send their token in.
 */
function presentedKey(
  authorization: string | undefined,
  authToken: string | undefined,
): string | undefined {
  if (authorization !== undefined) return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  const token = authToken?.trim();
  return token ? token : undefined;
}

/**
 * Checks keys and, on `/run_code`, enforces the per-key limits (job
 * submissions are charged by the jobs routes, per run). Routes in `open`
 * need no key.
 */
export function apiKeyAuth(
  keys: ApiKeyRing,
  open: ReadonlySet<string>,
  usage: KeyUsage,
  onRejected: OnRejected = () => {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const hashes = keys.entries();
    // The docs page's assets are as open as the page.
    const path = c.req.path.startsWith("/docs/") ? "/docs" : c.req.path;
    if (hashes.length === 0 || open.has(path)) return await next();
    const given = presentedKey(c.req.header("authorization"), c.req.header("x-auth-token"));
    // Every key is compared, match or not, so timing does not tell which
    // prefix of which key was right.
    let id: string | undefined;
    if (given !== undefined) {
      const hash = digest(given);
      for (const key of hashes) {
        if (timingSafeEqual(hash, key.hash)) id = key.id;
      }
    }
    if (!id) {
      c.header("WWW-Authenticate", 'Bearer realm="faas"');
      return c.json({
        error: given !== undefined
          ? "Invalid API key"
          : "Missing API key: send Authorization: Bearer <key> (or X-Auth-Token: <key>)",
      }, 401);
    }
    c.set("keyId", id);
    if (c.req.path !== "/run_code") return await next();
    // A run refused for either limit uses none of the key's budget.
    if (!usage.start(id)) {
      onRejected("key_concurrency");
      return errorResponse(
        c,
        new KeyLimitError(
          `Key ${id} already has ${usage.limits.maxConcurrent} runs in progress`,
          "key_concurrency",
          1,
        ),
      );
    }
    try {
      chargeRuns(c, usage, 1, onRejected);
    } catch (err) {
      usage.end(id);
      return errorResponse(c, err);
    }
    let ended = false;
    const end = () => {
      if (!ended) usage.end(id);
      ended = true;
    };
    let held = false;
    c.set("holdRun", () => {
      held = true;
      return end;
    });
    try {
      await next();
    } finally {
      if (!held) end();
    }
  };
}
