/**
 * `/api/v1/quota`: per-tenant limits on runs and CPU time per UTC day and
 * on runs in progress, with what each tenant used today. A PUT replaces
 * the tenant's quota (a limit left out is no limit) and is audited as
 * `quota.update`; a DELETE as `quota.delete`.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app_env.ts";
import type { QuotaGate, QuotaStatus } from "../admin/quota_gate.ts";
import { DEFAULT_WARN_AT, type Quota } from "../admin/quota_types.ts";
import { BadRequestError } from "../core/errors.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { bodyOf, invalid, tenantOf } from "./admin_input.ts";

const limit = z.number({ error: "Must be a non-negative whole number, or null for no limit" })
  .int("Must be a whole number").min(0, "Must not be negative")
  .max(Number.MAX_SAFE_INTEGER, "Must be at most 2^53 - 1").nullable().optional();

const putSchema = z.object({
  invocations_per_day: limit,
  cpu_ms_per_day: limit,
  max_concurrent: limit,
  warn_at: z.number({ error: "Must be a number from 0 to 1" })
    .min(0, "Must be from 0 to 1").max(1, "Must be from 0 to 1").optional(),
});

const FIELDS: ReadonlySet<string> = new Set(Object.keys(putSchema.shape));

/** A quota's limits as the API spells them. */
export function limitsBody(q: Quota) {
  return {
    invocations_per_day: q.invocationsPerDay,
    cpu_ms_per_day: q.cpuMsPerDay,
    max_concurrent: q.maxConcurrent,
    warn_at: q.warnAt,
  };
}

const percent = (used: number, limit: number | null) =>
  limit === null ? null : limit === 0 ? 100 : Math.round((used / limit) * 1000) / 10;

/** A quota with what it is measured against, as the API shows it. */
export function statusBody(s: QuotaStatus) {
  const q = s.quota;
  const used = {
    invocations_per_day: s.used.invocations,
    cpu_ms_per_day: Math.round(s.used.cpuMs * 1000) / 1000,
    max_concurrent: s.used.concurrent,
  };
  return {
    tenant: q.tenant,
    limits: limitsBody(q),
    used,
    percent: {
      invocations_per_day: percent(used.invocations_per_day, q.invocationsPerDay),
      cpu_ms_per_day: percent(used.cpu_ms_per_day, q.cpuMsPerDay),
      max_concurrent: percent(used.max_concurrent, q.maxConcurrent),
    },
    warning: s.warning,
    reset_at: new Date(s.resetAt).toISOString(),
    updated_at: new Date(q.updatedAt).toISOString(),
  };
}

/** The quota a PUT body asks for; 400 naming each field at fault. */
function quotaOf(tenant: string, body: unknown): Quota {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError("Request body must be a JSON object", [
      { field: "body", message: "Must be a JSON object" },
    ]);
  }
  const unknown = Object.keys(body).filter((k) => !FIELDS.has(k));
  if (unknown.length) {
    throw new BadRequestError(
      `Invalid request: check ${unknown.join(", ")}`,
      unknown.map((f) => ({
        field: f,
        message: `Unknown field; use ${[...FIELDS].join(", ")}`,
      })),
    );
  }
  const parsed = putSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const b = parsed.data;
  return {
    tenant,
    invocationsPerDay: b.invocations_per_day ?? null,
    cpuMsPerDay: b.cpu_ms_per_day ?? null,
    maxConcurrent: b.max_concurrent ?? null,
    warnAt: b.warn_at ?? DEFAULT_WARN_AT,
    updatedAt: Date.now(),
  };
}

/** Builds the routes. */
export function quotaRoutes(gate: QuotaGate, deps: AdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const none = (tenant: string) => `No quota for tenant ${JSON.stringify(tenant)}`;

  app.get("/quota", async (c) => {
    const all = await gate.list();
    const statuses = await Promise.all(all.map((q) => gate.status(q)));
    return c.json({ quotas: statuses.map(statusBody) });
  });

  app.get("/quota/:tenant", async (c) => {
    const tenant = tenantOf(c.req.param("tenant"));
    const quota = await gate.get(tenant);
    if (!quota) return c.json({ error: none(tenant) }, 404);
    return c.json(statusBody(await gate.status(quota)));
  });

  app.put("/quota/:tenant", async (c) => {
    const tenant = tenantOf(c.req.param("tenant"));
    const quota = quotaOf(tenant, await bodyOf(c));
    const before = await gate.put(quota);
    await deps.record(
      c,
      "quota.update",
      tenant,
      before ? limitsBody(before) : null,
      limitsBody(quota),
    );
    return c.json(statusBody(await gate.status(quota)));
  });

  app.delete("/quota/:tenant", async (c) => {
    const tenant = tenantOf(c.req.param("tenant"));
    const removed = await gate.remove(tenant);
    if (!removed) return c.json({ error: none(tenant) }, 404);
    await deps.record(c, "quota.delete", tenant, limitsBody(removed), undefined);
    return c.json({ tenant, limits: limitsBody(removed), deleted: true });
  });

  return app;
}
