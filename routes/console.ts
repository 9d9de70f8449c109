/**
 * `/console`: the operator console, a page of the service over its own
 * admin API (every action the page takes is a documented `/api/v1` call).
 * The page and its files are open like `/docs`; the data behind them needs
 * an admin or viewer key, which the page asks for.
 */
import { Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import { CONSOLE_CSP, CONSOLE_PAGE, loadConsoleAssets } from "../console/assets.ts";

/** Builds the routes. */
export function consoleRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const assets = loadConsoleAssets();
  const secure = (c: { header(name: string, value: string): void }) => {
    c.header("Content-Security-Policy", CONSOLE_CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
  };
  app.get("/console", (c) => {
    secure(c);
    c.header("Cache-Control", "no-cache");
    return c.html(CONSOLE_PAGE);
  });
  app.get("/console/assets/:file", (c) => {
    const asset = assets.get(c.req.param("file"));
    if (!asset) return c.json({ error: `No route for GET ${c.req.path}` }, 404);
    secure(c);
    c.header("Content-Type", asset.type);
    c.header("Cache-Control", "no-cache");
    return c.body(asset.body);
  });
  return app;
}
