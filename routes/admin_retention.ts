/**
 * `/api/v1/retention`: what each kind of kept data holds (count, oldest,
 * approximate bytes, configured days), and a clean-up on request, audited
 * as `retention.cleanup`.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app_env.ts";
import type { ClassStats, DataClass, Retention } from "../admin/retention.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { invalid } from "./admin_input.ts";
import { parseBody } from "./run_prepare.ts";

const cleanupSchema = z.object({
  older_than_days: z.number({ error: "Must be a whole number of days, at least 1" })
    .int("Must be a whole number of days, at least 1")
    .min(1, "Must be a whole number of days, at least 1")
    .max(36_500, "Must be at most 36500 days")
    .optional(),
});

const classBody = (s: ClassStats) => ({
  count: s.count,
  oldest: s.oldest === undefined ? null : new Date(s.oldest).toISOString(),
  bytes: s.bytes,
  days: s.days,
});

/** Builds the routes. */
export function retentionRoutes(deps: AdminDeps, retention: Retention): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/retention/stats", async (c) => {
    const stats = await retention.stats();
    return c.json(
      Object.fromEntries(
        (Object.entries(stats) as [DataClass, ClassStats][]).map(([k, s]) => [k, classBody(s)]),
      ),
    );
  });

  app.post("/retention/cleanup", async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    // No body at all: each kind's configured days.
    const parsed = cleanupSchema.safeParse(bytes.length ? parseBody(bytes) : {});
    if (!parsed.success) throw invalid(parsed.error);
    const days = parsed.data.older_than_days;
    const deleted = await retention.cleanup(days);
    await deps.record(c, "retention.cleanup", "retention", undefined, {
      older_than_days: days ?? null,
      deleted,
    });
    return c.json({ deleted, older_than_days: days ?? null });
  });

  return app;
}
