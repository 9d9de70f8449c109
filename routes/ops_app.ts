/**
 * The operations app served on `FAAS_METRICS_PORT` when it is set: only
 * `/metrics` and the health routes, never `/run_code`, so a scraper or a
 * probe needs no access to the port that runs code.
 */
import { Hono } from "hono";
import type { Metrics } from "../metrics/metrics.ts";
import { healthRoutes, type HealthSources } from "./health.ts";

/** Builds the operations app. */
export function createOpsApp(metrics: Metrics, health: HealthSources): Hono {
  const app = new Hono();
  app.route("/", healthRoutes(health));
  app.get("/metrics", async (c) => {
    c.header("Content-Type", metrics.contentType);
    return c.body(await metrics.render());
  });
  app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
