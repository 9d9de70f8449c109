/** Calling the admin API and running code with keys, for the usage and quota tests. */
import assert from "node:assert/strict";
import type { TestServer } from "./server.ts";

export type Json = Record<string, unknown>;

export interface Counters {
  invocations: number;
  errors: number;
  timeouts: number;
  memory_kills: number;
  cpu_ms: number;
  wall_ms: number;
  peak_memory_bytes: number;
}
export interface UsageBody {
  tenants: (Counters & { tenant: string; keys: (Counters & { key_id: string })[] })[];
}
export interface HistoryBody {
  tenant: string;
  bucket: string;
  points: (Counters & { start: string })[];
}
export type ByQuota<T> = { invocations_per_day: T; cpu_ms_per_day: T; max_concurrent: T };
export interface QuotaBody {
  tenant: string;
  limits: ByQuota<number | null> & { warn_at: number };
  used: ByQuota<number>;
  percent: ByQuota<number | null>;
  warning: boolean;
}
/** Errors, 429s included, and the other answers the tests read. */
export interface Answer {
  error: string;
  message?: string;
  details: { field: string }[];
  quota: string;
  limit: number;
  used: number;
  reset_at: string | null;
  key: string;
  id: string;
  ids?: string[];
  status: string;
  metadata: { status: string };
}
export interface AuditBody {
  entries: { target: string; before: Json | null; after: Json }[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A request to `server` with `key`: status, headers and parsed body. */
export async function call<T = Answer>(
  server: TestServer,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...bearer(key), "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Makes a key for `tenant` with the admin key; its secret. */
export async function makeKey(server: TestServer, tenant: string, role: string): Promise<string> {
  const made = await call(server, "adm", "POST", "/api/v1/keys", { tenant, role, name: tenant });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body.key;
}

/** Runs `code` with `key`; status, headers and body. */
export const run = (server: TestServer, key: string, code: string, extra: Json = {}) =>
  call(server, key, "POST", "/run_code", { language: "python", code, ...extra });

/** Submits a job (or a batch) and waits until every job finished. */
export async function jobs(server: TestServer, key: string, body: unknown): Promise<Answer[]> {
  const sub = await call(server, key, "POST", "/jobs", body);
  assert.equal(sub.status, 202, JSON.stringify(sub.body));
  const ids: string[] = sub.body.ids ?? [sub.body.id];
  return await Promise.all(ids.map(async (id) => {
    for (;;) {
      const job = await call(server, key, "GET", `/jobs/${id}?wait=10`);
      if (!["queued", "running"].includes(job.body.status)) return job.body;
    }
  }));
}

/** One tenant's usage, read with `key`. */
export const usageOf = async (server: TestServer, tenant: string, key = "adm") => {
  const path = `/api/v1/usage?tenant=${encodeURIComponent(tenant)}`;
  const u = await call<UsageBody>(server, key, "GET", path);
  assert.equal(u.status, 200, JSON.stringify(u.body));
  return u.body.tenants[0];
};

/** The statuses `seen` on admin routes must be in the OpenAPI document. */
export async function assertDocumented(server: TestServer, seen: [string, string, number][]) {
  const doc = await (await fetch(`${server.url}/openapi.json`)).json();
  for (const [method, path, status] of seen) {
    const op = doc.paths[path]?.[method];
    assert.ok(op, `${method} ${path} is not documented`);
    assert.ok(String(status) in op.responses, `${method} ${path} ${status} is not documented`);
  }
}
