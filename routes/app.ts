/**
 * The Hono application: routes, body limit, HTTP metrics, JSON 404/405 and
 * the error mapping.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { homeHandler } from "./home.ts";
import { ClientGoneError, PayloadTooLargeError } from "../core/errors.ts";
import { methodLabel, type Metrics } from "../metrics/metrics.ts";
import { errorResponse } from "./errors.ts";
import { apiKeyAuth, ApiKeyRing, chargeRuns } from "./auth.ts";
import type { AdminStore } from "../admin/types.ts";
import type { AuditLog } from "../admin/audit_log.ts";
import type { Timeline } from "../metrics/timeline.ts";
import type { Metering } from "../admin/metering.ts";
import type { KeyUsage } from "../scheduler/key_usage.ts";
import { DOCS_PAGE, loadDocsAssets } from "./docs_page.ts";
import { openApiDocument } from "./openapi.ts";
import { healthRoutes, type HealthSources } from "./health.ts";
import type { RuntimeInfo } from "./runtimes.ts";
import type { RequestTracer } from "../tracing/tracer.ts";
import { jobRoutes, type JobsDeps } from "./jobs.ts";
import { judge0Routes } from "./judge0.ts";
import { formatTraceparent, parseTraceparent } from "../tracing/trace_context.ts";
import { type AppEnv, type RunCodeDeps, runCodeHandler } from "./run_code.ts";
import { pistonRoutes } from "./piston.ts";
import { adminRoutes } from "./admin.ts";
import { consoleRoutes } from "./console.ts";
import { sessionRoutes } from "./sessions.ts";
import { SESSION_FILE_PATH, sessionFileLimit } from "./session_files.ts";
import type { SessionRegistry } from "../sessions/registry.ts";
import type { SessionDirectory } from "../sessions/session_directory.ts";
import type { RuntimeSettings } from "../admin/runtime_settings.ts";
import type { Retention } from "../admin/retention.ts";

/** Everything the routes need. */
export interface AppDeps extends RunCodeDeps {
  /** `FAAS_API_KEYS`: runner keys. */
  apiKeys: ApiKeyRing;
  /** `FAAS_ADMIN_KEYS`: admin keys; none turns the admin API off. */
  adminKeys?: ApiKeyRing;
  /** Keys made with the admin API, and the audit log. */
  adminStore?: AdminStore;
  audit?: AuditLog;
  /** The last minutes of the service, for the admin overview. */
  timeline?: Timeline;
  /** Usage and quotas, for the admin API (the run path takes `quotas`). */
  metering?: Metering;
  /** The settings in effect, some changeable while running (the admin API's settings routes). */
  settings?: RuntimeSettings;
  /** What kept data holds and its clean-up (the admin API's retention routes). */
  retention?: Retention;
  openRoutes: ReadonlySet<string>;
  /** Per-key limits and usage, shared with the job runner. */
  keyUsage: KeyUsage;
  metrics: Metrics;
  health: HealthSources;
  maxBodyBytes: number;
  runtimes: readonly RuntimeInfo[];
  tracer: RequestTracer;
  jobs: Omit<JobsDeps, "chargeRuns">;
  /** Bytes of memory an instance may use (Piston's configured memory limit). */
  memoryLimitBytes: number;
  /** Cap on each of a run's stdout and stderr. */
  maxOutputBytes: number;
  /** Most runs waiting in the queue (Judge0's configuration reports it). */
  maxQueue: number;
  /** The live sessions. */
  sessions: SessionRegistry;
  /** Where sessions of other replicas live; none without Redis. */
  sessionDirectory?: SessionDirectory;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

const ROUTES: Record<string, string> = {
  "/": "GET, HEAD",
  "/run_code": "POST",
  "/health": "GET, HEAD",
  "/health/live": "GET, HEAD",
  "/metrics": "GET, HEAD",
  "/openapi.json": "GET, HEAD",
  "/docs": "GET, HEAD",
  "/runtimes": "GET, HEAD",
  "/jobs": "GET, HEAD, POST",
  "/jobs/{id}": "GET, HEAD, DELETE",
  "/jobs/{id}/retry": "POST",
  "/jobs/{id}/events": "GET, HEAD",
  "/api/v2/runtimes": "GET, HEAD",
  "/api/v2/execute": "POST",
  "/api/v2/piston/runtimes": "GET, HEAD",
  "/api/v2/piston/execute": "POST",
  "/api/v1/keys": "GET, HEAD, POST",
  "/api/v1/keys/{id}": "DELETE",
  "/api/v1/audit": "GET, HEAD",
  "/api/v1/audit/actions": "GET, HEAD",
  "/api/v1/overview": "GET, HEAD",
  "/api/v1/me": "GET, HEAD",
  "/api/v1/usage": "GET, HEAD",
  "/api/v1/usage/{tenant}/history": "GET, HEAD",
  "/api/v1/quota": "GET, HEAD",
  "/api/v1/quota/{tenant}": "GET, HEAD, PUT, DELETE",
  "/console": "GET, HEAD",
  "/about": "GET, HEAD",
  "/config_info": "GET, HEAD",
  "/languages": "GET, HEAD",
  "/languages/all": "GET, HEAD",
  "/languages/{id}": "GET, HEAD",
  "/statuses": "GET, HEAD",
  "/submissions": "POST",
  "/submissions/batch": "GET, HEAD, POST",
  "/submissions/{token}": "GET, HEAD",
  "/sessions": "GET, HEAD, POST",
  "/sessions/{id}": "GET, HEAD, DELETE",
  "/sessions/{id}/run": "POST",
  "/sessions/{id}/files": "GET, HEAD",
  "/sessions/{id}/files/{path}": "GET, HEAD, PUT, DELETE",
  "/api/v1/dlq": "GET, HEAD, DELETE",
  "/api/v1/dlq/stats": "GET, HEAD",
  "/api/v1/dlq/retry": "POST",
  "/api/v1/dlq/discard": "POST",
  "/api/v1/dlq/{id}": "GET, HEAD",
  "/api/v1/dlq/{id}/retry": "POST",
  "/api/v1/dlq/{id}/discard": "POST",
  "/api/v1/retention/stats": "GET, HEAD",
  "/api/v1/retention/cleanup": "POST",
  "/api/v1/settings": "GET, HEAD",
  "/api/v1/settings/{key}": "GET, HEAD, PUT",
};

/**
 * The routes with a parameter, as patterns (exact routes are looked up
 * first); a `{path}` may span several segments.
 */
const PATTERNS: [RegExp, string][] = Object.keys(ROUTES).filter((r) => r.includes("{")).map((
  r,
) => [new RegExp(`^${r.replace("{path}", ".+").replace(/\{\w+\}/g, "[^/]+")}$`), r]);

/** The route a path belongs to, for labels: a known route, else "unmatched". */
function routeOf(path: string): string {
  if (ROUTES[path]) return path;
  return PATTERNS.find(([pattern]) => pattern.test(path))?.[1] ?? "unmatched";
}

/** Builds the app. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // A caller's request id (printable, at most 128 characters) is kept for
  // tracing across services; otherwise one is made. Echoed either way.
  app.use(async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  });
  // Every request belongs to a trace: the caller's `traceparent`, or a new
  // one; the response names this request's span in its own `traceparent`.
  app.use(async (c, next) => {
    const route = routeOf(c.req.path);
    const span = deps.tracer.start(
      `${methodLabel(c.req.method)} ${route}`,
      parseTraceparent(c.req.header("traceparent")),
    );
    span.set({
      "http.request.method": methodLabel(c.req.method),
      "http.route": route,
      "request.id": c.get("requestId"),
    });
    c.set("span", span);
    await next();
    c.res.headers.set("traceparent", formatTraceparent(span.context));
    const state = c.req.header("tracestate");
    if (state && state.length <= 512) c.res.headers.set("tracestate", state);
    span.end(c.res.status);
  });
  app.use(async (c, next) => {
    await next();
    const route = routeOf(c.req.path);
    deps.metrics.httpRequests.inc({
      route,
      method: methodLabel(c.req.method),
      status: String(c.res.status),
    });
  });
  const onRejected = (reason: "key_rate_limit" | "key_concurrency") =>
    deps.metrics.rejections.inc({ reason });
  app.use(apiKeyAuth(
    {
      runners: deps.apiKeys,
      admins: deps.adminKeys ?? new ApiKeyRing([]),
      store: deps.adminStore,
      audit: deps.audit,
    },
    deps.openRoutes,
    deps.keyUsage,
    onRejected,
  ));
  // Every route that takes a body takes at most this much, checked while it
  // streams in; a session file upload is a file, not a request, and has a
  // (streamed) limit of its own.
  const requestLimit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) => errorResponse(c, new PayloadTooLargeError(deps.maxBodyBytes)),
  });
  const fileLimit = sessionFileLimit(deps.sessions.limits.maxFileBytes);
  app.use((c, next) =>
    c.req.method === "PUT" && SESSION_FILE_PATH.test(c.req.path)
      ? fileLimit(c, next)
      : requestLimit(c, next)
  );
  app.post("/run_code", runCodeHandler(deps));
  app.route("/", healthRoutes(deps.health));
  app.route("/", pistonRoutes(deps));
  app.route("/", consoleRoutes());
  if (deps.adminStore && deps.audit) {
    app.route(
      "/api/v1",
      adminRoutes({
        store: deps.adminStore,
        audit: deps.audit,
        runnerKeys: deps.apiKeys,
        adminKeys: deps.adminKeys ?? new ApiKeyRing([]),
        timeline: deps.timeline,
        scheduler: deps.health.scheduler,
        metering: deps.metering,
        jobs: { store: deps.jobs.store, runner: deps.jobs.runner },
        settings: deps.settings,
        retention: deps.retention,
      }),
    );
  }
  const jobs: JobsDeps = {
    ...deps.jobs,
    quotas: deps.quotas,
    chargeRuns: (c, runs) => chargeRuns(c, deps.keyUsage, runs, onRejected),
  };
  app.route("/", jobRoutes(jobs));
  app.route("/", sessionRoutes({ ...deps, poolCounts: deps.poolCounts }));
  // Judge0 submissions are jobs: the same store, runner, budgets, charges and quotas.
  app.route(
    "/",
    judge0Routes({
      ...jobs,
      runtimes: deps.runtimes,
      maxUnpackedBytes: deps.maxBodyBytes,
      memoryLimitBytes: deps.memoryLimitBytes,
      maxOutputBytes: deps.maxOutputBytes,
      maxQueue: deps.maxQueue,
      version: deps.health.version,
    }),
  );
  app.get("/metrics", async (c) => {
    c.header("Content-Type", deps.metrics.contentType);
    return c.body(await deps.metrics.render());
  });
  const openapi = openApiDocument(deps.health.version, deps.apiKeys.size > 0);
  app.get("/openapi.json", (c) => c.json(openapi));
  app.get("/", homeHandler(deps.health.version));
  app.get("/docs", (c) => c.html(DOCS_PAGE));
  const assets = loadDocsAssets();
  app.get("/docs/:file", (c) => {
    const asset = assets.get(c.req.param("file"));
    if (!asset) return c.json({ error: `No route for GET ${c.req.path}` }, 404);
    c.header("Content-Type", asset.type);
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(asset.body);
  });
  const runtimes = { runtimes: deps.runtimes };
  app.get("/runtimes", (c) => c.json(runtimes));
  for (const [route, allow] of Object.entries(ROUTES)) {
    const path = route.replace(/\{(\w+)\}/g, ":$1");
    app.all(path, (c) => {
      c.header("Allow", allow);
      return c.json(
        { error: `Method ${c.req.method} is not allowed on ${c.req.path}; use ${allow}` },
        405,
      );
    });
  }
  app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));
  // Every route's errors end here: handlers throw, this answers and logs.
  app.onError((err, c) => {
    const res = errorResponse(c, err);
    const fields = {
      request_id: c.get("requestId"),
      trace_id: c.get("span")?.context.traceId,
      route: `${c.req.method} ${c.req.routePath}`,
      http_status: res.status,
    };
    if (err instanceof ClientGoneError) {
      deps.logger.info("request dropped: client disconnected", fields);
    } else {
      const level = res.status >= 500 ? "warn" : "debug";
      deps.logger[level]("request refused", { ...fields, reason: (err as Error).message });
    }
    return res;
  });
  return app;
}
