/**
 * Optional API keys: `Authorization: Bearer <key>` (or Judge0's
 * `X-Auth-Token: <key>`), compared in constant time, with per-key limits
 * on concurrent runs and runs per minute. Keys never appear in logs or
 * metrics; a short key id (a hash prefix) may.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./app_env.ts";
import { ForbiddenError, KeyLimitError, UnauthorizedError } from "../core/errors.ts";
import type { AdminStore, Principal } from "../admin/types.ts";
import type { AuditLog } from "../admin/audit_log.ts";
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

/** Routes that run code while the caller waits: the per-key limits apply to each call. */
const SYNC_RUN_PATHS: ReadonlySet<string> = new Set([
  "/run_code",
  "/api/v2/execute",
  "/api/v2/piston/execute",
]);

/** Whether `path` runs code while the caller waits (a session's run too). */
function isSyncRun(path: string): boolean {
  return SYNC_RUN_PATHS.has(path) || /^\/sessions\/[^/]+\/run$/.test(path);
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

/** Where keys come from, and where refused admin calls are recorded. */
export interface KeyAccess {
  /** `FAAS_API_KEYS`: runner keys, each its own tenant (reloaded on SIGHUP). */
  runners: ApiKeyRing;
  /** `FAAS_ADMIN_KEYS`: admin keys. */
  admins: ApiKeyRing;
  /** Keys made with the admin API. */
  store?: AdminStore;
  audit?: AuditLog;
}

/** The admin API's paths. */
export const ADMIN_PREFIX = "/api/v1";

const isAdminPath = (path: string) => path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);

/**
 * Checks keys (`Authorization: Bearer <key>`, or `X-Auth-Token: <key>` as
 * Judge0's clients send it) and roles: admin keys may do everything, viewer
 * keys only read the admin API, runner keys only run code. On the routes
 * that run code while the caller waits (`/run_code`, Piston's execute) it
 * enforces the per-key limits (job submissions are charged by the jobs
 * routes, per run). Routes in `open` need no key.
 */
export function apiKeyAuth(
  access: KeyAccess,
  open: ReadonlySet<string>,
  usage: KeyUsage,
  onRejected: OnRejected = () => {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const admin = isAdminPath(c.req.path);
    const refuse = (status: 401 | 403, message: string, principal?: Principal) => {
      if (admin) {
        access.audit?.later({
          actor: principal?.keyId ?? "",
          role: principal?.role ?? "",
          action: `${c.req.method} ${c.req.path}`,
          target: c.req.path,
          outcome: "refused",
          requestId: c.get("requestId"),
          reason: message,
        });
      }
      if (status === 401) c.header("WWW-Authenticate", 'Bearer realm="faas"');
      return errorResponse(
        c,
        status === 401
          ? new UnauthorizedError(message)
          : new ForbiddenError(message, [{ field: "Authorization", message }]),
      );
    };
    if (admin && access.admins.size === 0) {
      return refuse(403, "The admin API is off: set FAAS_ADMIN_KEYS to use it");
    }
    if (access.runners.size + access.admins.size === 0) return await next();
    // The docs page's and the console's files are as open as their pages.
    const path = c.req.path.startsWith("/docs/")
      ? "/docs"
      : c.req.path.startsWith("/console/assets/")
      ? "/console"
      : c.req.path;
    if (open.has(path) && !admin) return await next();
    const header = c.req.header("authorization") ?? "";
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const token = bearer ?? (c.req.header("x-auth-token")?.trim() || undefined);
    const principal = token === undefined ? undefined : await findKey(access, token);
    if (!principal) {
      return refuse(
        401,
        token !== undefined
          ? "Invalid API key"
          : "Missing API key: send Authorization: Bearer <key> (or X-Auth-Token: <key>)",
      );
    }
    c.set("principal", principal);
    if (admin) {
      if (principal.role === "runner") {
        return refuse(
          403,
          `Key ${principal.keyId} is a runner key: the admin API needs an admin or viewer key`,
          principal,
        );
      }
      const reads = c.req.method === "GET" || c.req.method === "HEAD";
      if (principal.role === "viewer" && !reads) {
        return refuse(
          403,
          `Key ${principal.keyId} is a viewer key: it may only read (GET)`,
          principal,
        );
      }
    } else if (principal.role === "viewer") {
      return refuse(
        403,
        `Key ${principal.keyId} is a viewer key: it cannot run code or submit jobs`,
        principal,
      );
    }
    const id = principal.keyId;
    c.set("keyId", id);
    if (!isSyncRun(c.req.path) || c.req.method !== "POST") return await next();
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

/**
 * The key `token` is, or undefined. The configured keys are all compared in
 * constant time, match or not, so timing does not tell which prefix of
 * which key was right; keys made with the admin API are found by their
 * secret's SHA-256, which tells nothing of any other key.
 */
async function findKey(access: KeyAccess, token: string): Promise<Principal | undefined> {
  const given = digest(token);
  let found: Principal | undefined;
  for (const key of access.runners.entries()) {
    if (timingSafeEqual(given, key.hash)) {
      found = {
        keyId: key.id,
        role: "runner",
        tenant: key.id,
        fixedTenant: false,
        source: "FAAS_API_KEYS",
      };
    }
  }
  for (const key of access.admins.entries()) {
    if (timingSafeEqual(given, key.hash)) {
      found = { keyId: key.id, role: "admin", fixedTenant: false, source: "FAAS_ADMIN_KEYS" };
    }
  }
  if (found || !access.store) return found;
  const record = await access.store.keyByHash(given.toString("hex"));
  if (!record) return undefined;
  return {
    keyId: record.id,
    role: record.role,
    tenant: record.tenant,
    fixedTenant: record.role === "runner",
    source: "api",
  };
}

/** SHA-256 of a secret, hex: how keys made with the admin API are stored. */
export function secretHash(secret: string): string {
  return digest(secret).toString("hex");
}
