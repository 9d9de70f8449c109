/**
 * `GET /api/v1/overview`: the service now and over the last 15 minutes,
 * for the console's overview page (and anyone else who asks).
 */
import { Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { AdminDeps } from "./admin_deps.ts";

/** Builds the route. */
export function overviewRoutes(deps: AdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/overview", (c) => {
    const timeline = deps.timeline;
    if (!timeline) return c.json({ error: "No overview is kept by this service" }, 404);
    const stats = deps.scheduler();
    return c.json({
      time: new Date().toISOString(),
      interval_s: timeline.intervalMs / 1000,
      window_s: (timeline.intervalMs * timeline.keep) / 1000,
      now: {
        ...timeline.current(),
        running: stats.running,
        completed: stats.completed,
        failed: stats.failed,
      },
      samples: timeline.samples(),
      recent_errors: timeline.recentErrors(),
    });
  });
  // Who the caller is: the console shows what its role may do.
  app.get("/me", (c) => {
    const p = c.get("principal");
    return c.json({ key_id: p?.keyId ?? "", role: p?.role ?? "", tenant: p?.tenant ?? null });
  });
  return app;
}
