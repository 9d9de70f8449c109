/**
 * `/api/v1/settings`: the configuration in effect, grouped, each value
 * with where it comes from and whether it may change while the service
 * runs; secrets masked. `PUT /settings/{key}` changes a runtime setting
 * (kept in the admin store, taken up by every replica), audited as
 * `settings.update`.
 */
import { Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import { BadRequestError } from "../core/errors.ts";
import type { RuntimeSettings } from "../admin/runtime_settings.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { bodyOf } from "./admin_input.ts";

/** Builds the routes. */
export function settingsRoutes(deps: AdminDeps, settings: RuntimeSettings): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/settings", async (c) => {
    // Another replica may have changed one since this one last looked.
    await settings.refresh();
    return c.json(settings.entries());
  });

  app.get("/settings/:key", async (c) => {
    await settings.refresh();
    return c.json(settings.entry(c.req.param("key")));
  });

  app.put("/settings/:key", async (c) => {
    const key = c.req.param("key");
    // The key is judged first: an unknown one is 404, a start-up one 409.
    settings.entry(key);
    const body = await bodyOf(c);
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new BadRequestError("Invalid request: check value", [
        { field: "value", message: 'Must be sent as {"value": ...}' },
      ]);
    }
    const { before, after } = await settings.set(key, (body as { value?: unknown }).value);
    await deps.record(
      c,
      "settings.update",
      key,
      { value: before.value, source: before.source },
      { value: after.value, source: after.source },
    );
    return c.json(after);
  });

  return app;
}
