/**
 * Optional API keys: `Authorization: Bearer <key>`, compared in constant
 * time, with per-key limits on concurrent runs and runs per minute. Keys
 * never appear in logs or metrics; a short key id (a hash prefix) may.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./run_code.ts";
export { loadKeys } from "../config_keys.ts";

/** Per-key limits; 0 means unlimited. */
export interface KeyLimits {
  maxConcurrent: number;
  runsPerMinute: number;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** A key's public id: the first 8 hex characters of its SHA-256. */
export function keyId(key: string): string {
  return digest(key).toString("hex").slice(0, 8);
}

interface KeyState {
  running: number;
  windowStart: number;
  windowRuns: number;
}

/**
 * Checks keys and enforces the per-key limits on `/run_code`. Routes in
 * `open` need no key. `now` is injectable for tests.
 */
export function apiKeyAuth(
  keys: readonly string[],
  open: ReadonlySet<string>,
  limits: KeyLimits,
  onRejected: (reason: "key_rate_limit" | "key_concurrency") => void = () => {},
  now: () => number = Date.now,
): MiddlewareHandler<AppEnv> {
  const hashes = keys.map((k) => ({ hash: digest(k), id: keyId(k) }));
  const state = new Map<string, KeyState>();
  return async (c, next) => {
    // The docs page's assets are as open as the page.
    const path = c.req.path.startsWith("/docs/") ? "/docs" : c.req.path;
    if (hashes.length === 0 || open.has(path)) return await next();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Every key is compared, match or not, so timing does not tell which
    // prefix of which key was right.
    let id: string | undefined;
    if (match) {
      const given = digest(match[1]);
      for (const key of hashes) {
        if (timingSafeEqual(given, key.hash)) id = key.id;
      }
    }
    if (!id) {
      c.header("WWW-Authenticate", 'Bearer realm="faas"');
      return c.json({
        error: match ? "Invalid API key" : "Missing API key: send Authorization: Bearer <key>",
      }, 401);
    }
    c.set("keyId", id);
    // Runs per minute count `/run_code` and job submissions alike; a
    // submitted job holds no connection, so only `/run_code` counts toward
    // the runs in progress.
    const submitsJobs = c.req.path === "/jobs" && c.req.method === "POST";
    if (c.req.path !== "/run_code" && !submitsJobs) return await next();

    const s = state.get(id) ?? { running: 0, windowStart: now(), windowRuns: 0 };
    state.set(id, s);
    const t = now();
    if (t - s.windowStart >= 60_000) {
      s.windowStart = t;
      s.windowRuns = 0;
    }
    const resetS = Math.max(1, Math.ceil((s.windowStart + 60_000 - t) / 1000));
    if (limits.runsPerMinute > 0) {
      c.header("RateLimit-Limit", String(limits.runsPerMinute));
      c.header("RateLimit-Remaining", String(Math.max(0, limits.runsPerMinute - s.windowRuns - 1)));
      c.header("RateLimit-Reset", String(resetS));
      if (s.windowRuns >= limits.runsPerMinute) {
        onRejected("key_rate_limit");
        c.header("RateLimit-Remaining", "0");
        c.header("Retry-After", String(resetS));
        return c.json({
          error: `Rate limit of ${limits.runsPerMinute} runs per minute reached for key ${id}`,
        }, 429);
      }
    }
    if (submitsJobs) {
      s.windowRuns++;
      return await next();
    }
    if (limits.maxConcurrent > 0 && s.running >= limits.maxConcurrent) {
      onRejected("key_concurrency");
      c.header("Retry-After", "1");
      return c.json({
        error: `Key ${id} already has ${limits.maxConcurrent} runs in progress`,
      }, 429);
    }
    s.windowRuns++;
    s.running++;
    try {
      await next();
    } finally {
      s.running--;
    }
  };
}
