/**
 * `/api/v1/usage`: what each tenant's runs used, with each key's share, and
 * one tenant's history by hour or day. Counted by the UTC hour: `from` and
 * `to` select the hours starting from the one holding `from` up to `to`.
 * A tenant with no runs in the range answers an empty result (200), not 404.
 */
import { Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { Metering } from "../admin/metering.ts";
import { type Bucket, BUCKETS, usageByTenant, usageSeries } from "../admin/usage_report.ts";
import { selects, type UsageCounters, type UsageQuery } from "../admin/usage_types.ts";
import { BadRequestError } from "../core/errors.ts";
import { rangeOf, tenantOf } from "./admin_input.ts";

const ms = (n: number) => Math.round(n * 1000) / 1000;

/** Counters as the API shows them. */
export function countersBody(u: UsageCounters) {
  return {
    invocations: u.invocations,
    errors: u.errors,
    timeouts: u.timeouts,
    memory_kills: u.memoryKills,
    cpu_ms: ms(u.cpuMs),
    wall_ms: ms(u.wallMs),
    peak_memory_bytes: u.peakMemoryBytes,
  };
}

/** Builds the routes. */
export function usageRoutes(metering: Metering): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // The store's rows and this replica's counts not written yet.
  const rows = async (q: UsageQuery) => [
    ...await metering.store.usage(q),
    ...metering.meter.pending(q.tenant).filter((r) => selects(q, r)),
  ];

  app.get("/usage", async (c) => {
    const raw = c.req.query("tenant");
    const tenant = raw ? tenantOf(raw) : undefined;
    const tenants = usageByTenant(await rows({ tenant, ...rangeOf(c) }));
    return c.json({
      tenants: tenants.map((t) => ({
        tenant: t.tenant,
        ...countersBody(t),
        keys: t.keys.map((k) => ({ key_id: k.keyId, ...countersBody(k) })),
      })),
    });
  });

  app.get("/usage/:tenant/history", async (c) => {
    const tenant = tenantOf(c.req.param("tenant"));
    const bucket = c.req.query("bucket") ?? "hour";
    if (!(BUCKETS as readonly string[]).includes(bucket)) {
      throw new BadRequestError("Invalid request: check bucket", [
        { field: "bucket", message: `Must be ${BUCKETS.join(" or ")}` },
      ]);
    }
    const points = usageSeries(await rows({ tenant, ...rangeOf(c) }), bucket as Bucket);
    return c.json({
      tenant,
      bucket,
      points: points.map((p) => ({ start: new Date(p.start).toISOString(), ...countersBody(p) })),
    });
  });

  return app;
}
