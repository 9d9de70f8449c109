/**
 * HTTP behaviour of the routes without a sandbox: the app with a scheduler
 * that answers from what it was given, through Hono's `app.request()`. What
 * a real run does is tested end to end in tests/.
 */
import { SessionRegistry } from "../sessions/registry.ts";
import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { ApiKeyRing } from "./auth.ts";
import { QueueFullError } from "../core/errors.ts";
import { Logger } from "../core/log.ts";
import { Metrics } from "../metrics/metrics.ts";
import { KeyUsage } from "../scheduler/key_usage.ts";
import type { RunRequest, ScheduledResult, Scheduler } from "../scheduler/scheduler.ts";
import { JobRunner } from "../jobs/runner.ts";
import { SqliteJobStore } from "../jobs/sqlite_store.ts";
import { createTracer } from "../tracing/tracer.ts";
import { scheduledResponse } from "./run_response.ts";

/** Answers every run at once: `print` echoes its code; `queue-full` is refused. */
function fakeScheduler(seen: RunRequest[]): Scheduler {
  const submit = (request: RunRequest): Promise<ScheduledResult> => {
    seen.push(request);
    if (request.code === "queue-full") return Promise.reject(new QueueFullError(7));
    // As the real one: the run reached its instance.
    request.onStart?.();
    return Promise.resolve({
      result: {
        id: seen.length,
        status: "success",
        stdout: `${request.code}\n`,
        stderr: "",
        retVal: "",
        retValSet: false,
        exitCode: 0,
        truncated: false,
        durationMs: 1.25,
        instanceId: "py-1/1",
        cpuMs: 1,
        memoryBytes: 0,
      },
      taskId: `task-${seen.length}`,
      queueMs: 0.5,
      via: "warm",
      phases: { queueMs: 0.5, startMs: 0, runMs: 2 },
    });
  };
  // Only `submit` is reached by these routes.
  return { submit } as unknown as Scheduler;
}

function testApp(seen: RunRequest[]) {
  const scheduler = fakeScheduler(seen);
  const store = new SqliteJobStore(":memory:");
  const pool = { total: 1, idle: 1, busy: 0, starting: 0 };
  const settings = {
    defaultTimeoutMs: 30_000,
    maxTimeoutMs: 60_000,
    isolation: "code" as const,
    tenantSource: { from: "asserted" as const },
  };
  const runner = new JobRunner(store, scheduler, {
    concurrency: 2,
    maxAttempts: 2,
    ttlMs: 60_000,
    respond: (run, scheduled) => scheduledResponse(run, scheduled, pool),
  });
  const sessions = new SessionRegistry(scheduler, {
    defaultTtlMs: 60_000,
    maxTtlMs: 60_000,
    maxPerOwner: 1,
    maxTotal: 1,
    maxFileBytes: 1024,
    maxFilesBytes: 4096,
    maxMemoryBytes: 0,
  });
  const app = createApp({
    ...settings,
    sessions,
    logger: new Logger("error", "text", () => {}),
    tracer: createTracer({ serviceName: "test", serviceVersion: "0" }),
    scheduler,
    poolCounts: () => pool,
    apiKeys: new ApiKeyRing([]),
    openRoutes: new Set(["/", "/health", "/metrics"]),
    keyUsage: new KeyUsage({ maxConcurrent: 0, runsPerMinute: 0 }),
    metrics: new Metrics({
      maxTimeoutMs: 60_000,
      build: { version: "0", deno: "0", pyodide: "0", python: "0" },
    }),
    health: {
      version: "0",
      startedAt: Date.now(),
      accepting: () => true,
      started: () => true,
      pools: () => ({}) as never,
      scheduler: () => ({
        queued: { urgent: 0, high: 0, normal: 0, low: 0 },
        running: 0,
        completed: 0,
        failed: 0,
        meanExecutionMs: 0,
      }),
    },
    maxBodyBytes: 4096,
    memoryLimitBytes: 256 * 2 ** 20,
    maxOutputBytes: 2 ** 20,
    maxQueue: 100,
    runtimes: [],
    jobs: { ...settings, store, runner, maxBatch: 10, maxAttempts: 2, maxOwnerBytes: 2 ** 20 },
  });
  const close = async () => {
    sessions.close();
    runner.close();
    await runner.settled();
    await store.close();
  };
  return { app, close };
}

const post = (body: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body,
});

Deno.test("routes answer over HTTP without a sandbox", async (t) => {
  const seen: RunRequest[] = [];
  const { app, close } = testApp(seen);
  try {
    await t.step("a run is scheduled with its key and clamped timeout, and answered", async () => {
      const res = await app.request(
        "/run_code",
        post(JSON.stringify({ language: "py", code: "hello", timeout: 999_999, extra: 1 })),
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.output.stdout, "hello\n");
      assert.equal(body.metadata.language, "python");
      assert.equal(body.metadata.duration, 1);
      assert.equal(body.metadata.timeout_ms, 60_000);
      assert.equal(body.metadata.timeout_clamped, true);
      assert.deepEqual(body.metadata.ignored_fields, ["extra"]);
      assert.match(res.headers.get("server-timing") ?? "", /^parse;dur=[\d.]+;.*exec;dur=1\.25;/);
      const request = seen.at(-1)!;
      assert.equal(request.language, "python");
      assert.equal(request.timeoutMs, 60_000);
      assert.match(request.key, /^code:/);
    });
    await t.step("a body that is not JSON is a 400 naming the body", async () => {
      const res = await app.request("/run_code", post("{nope"));
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.details[0].field, "body");
    });
    await t.step("an unknown language and empty code are one 400 naming both", async () => {
      const res = await app.request("/run_code", post(JSON.stringify({ language: "cobol" })));
      assert.equal(res.status, 400);
      const fields = (await res.json()).details.map((d: { field: string }) => d.field);
      assert.deepEqual(fields.sort(), ["code", "language"]);
    });
    await t.step("a full queue is a 429 with Retry-After, from the one error handler", async () => {
      const res = await app.request(
        "/run_code",
        post(JSON.stringify({ language: "js", code: "queue-full" })),
      );
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.match((await res.json()).error, /7/);
    });
    await t.step("a body over the limit is a 413 naming the limit", async () => {
      const res = await app.request(
        "/run_code",
        post(JSON.stringify({ language: "js", code: "x".repeat(5000) })),
      );
      assert.equal(res.status, 413);
      assert.match((await res.json()).error, /4096/);
    });
    await t.step("unknown routes are 404 and wrong methods 405 with Allow", async () => {
      assert.equal((await app.request("/nowhere")).status, 404);
      const res = await app.request("/run_code");
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "POST");
    });
    await t.step("a job is queued, run by the fake scheduler and read back", async () => {
      const res = await app.request(
        "/jobs",
        post(JSON.stringify({ language: "js", code: "from a job" })),
      );
      assert.equal(res.status, 202);
      const { id } = await res.json();
      const done = await (await app.request(`/jobs/${id}?wait=5`)).json();
      assert.equal(done.status, "done");
      assert.equal(done.result.output.stdout, "from a job\n");
      assert.deepEqual(done.history.map((a: { outcome: string }) => a.outcome), ["done"]);
    });
  } finally {
    await close();
  }
});
