/**
 * Scheduling through the HTTP API with a busy pool of one Python instance:
 * priority order, a full queue, a bounded queue wait, and callers that go
 * away while queued or while running.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until no instance of `runtime` is starting (its spare is ready). */
async function sparesReady(server: TestServer, runtime: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const health = await (await fetch(`${server.url}/health`)).json();
    if (health.pools[runtime].instances.starting === 0) return;
    await sleep(50);
  }
  throw new Error(`${runtime} spares never became ready`);
}

async function metric(server: TestServer, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(text.match(pattern)?.[1] ?? 0);
}

Deno.test({
  name: "the scheduler orders, bounds and cancels queued runs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // One Python and one JS instance, and no room to grow.
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_AGING_MS: "60000",
    });

    await t.step("dispatches urgent before high before normal before low", async () => {
      const busy = server.run({ language: "python", code: "import time\ntime.sleep(0.6)" });
      await sleep(100);
      const finished: string[] = [];
      const queued = ["low", "normal", "high", "urgent"].map(async (priority) => {
        await sleep(["low", "normal", "high", "urgent"].indexOf(priority) * 20);
        const { body } = await server.run({
          language: "python",
          code: "import time\ntime.sleep(0.05)\nINPUT",
          input: priority,
          priority,
        });
        finished.push(body.output.ret_val);
      });
      await sleep(150);
      const health = await (await fetch(`${server.url}/health`)).json();
      assert.deepEqual(health.scheduler.queued, { urgent: 1, high: 1, normal: 1, low: 1 });
      await Promise.all([busy, ...queued]);
      assert.deepEqual(finished, ["urgent", "high", "normal", "low"]);
    });

    await t.step("a queued request whose client went away is dropped", async () => {
      const before = await metric(server, /faas_rejections_total\{reason="client_gone"\} (\d+)/);
      const completedBefore =
        (await (await fetch(`${server.url}/health`)).json()).scheduler.completed;
      const busy = server.run({ language: "python", code: "import time\ntime.sleep(0.5)" });
      await sleep(100);
      const controller = new AbortController();
      const gone = server.run({ language: "python", code: "1" }, { signal: controller.signal })
        .catch((e) => e);
      await sleep(100);
      controller.abort();
      assert.ok((await gone) instanceof Error);
      await busy;
      await sleep(100);
      const after = await metric(server, /faas_rejections_total\{reason="client_gone"\} (\d+)/);
      assert.equal(after, before + 1);
      const completed = (await (await fetch(`${server.url}/health`)).json()).scheduler.completed;
      assert.equal(completed, completedBefore + 1, "only the busy run ran");
    });

    const longRuns: [string, string, string][] = [
      ["python", "import time\ntime.sleep(30)", "'free'"],
      ["js", "await new Promise((r) => setTimeout(r, 30000))", "return 'free'"],
    ];
    for (const [language, long, probe] of longRuns) {
      await t.step(`a running ${language} request whose client went away is stopped`, async () => {
        // Running, not waiting for its instance to start.
        await sparesReady(server, language === "js" ? "javascript" : "python");
        const controller = new AbortController();
        const started = performance.now();
        const gone = server.run({ language, code: long }, { signal: controller.signal })
          .catch((e) => e);
        await sleep(300);
        controller.abort();
        await gone;
        const next = await server.run({ language, code: probe });
        assert.equal(next.body.output.ret_val, "free");
        assert.ok(performance.now() - started < 5000, "the instance was freed early");
      });
    }

    await t.step(
      "runs stopped for a caller that left count as client_gone, not timeout",
      async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        const runs = (status: string) =>
          [...text.matchAll(
            new RegExp(`^faas_runs_total\\{language="\\w+",status="${status}"\\} (\\d+)$`, "gm"),
          )]
            .reduce((n, m) => n + Number(m[1]), 0);
        assert.equal(runs("client_gone"), 2, "both stopped runs are client_gone");
        assert.equal(runs("timeout"), 0);
      },
    );

    await server.close();
  },
});

Deno.test({
  name: "a full queue answers 429 and a long wait 503, both with Retry-After",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_MAX_QUEUE: "1",
      FAAS_MAX_QUEUE_WAIT: "500",
    });
    const post = (code: string) =>
      fetch(`${server.url}/run_code`, {
        method: "POST",
        body: JSON.stringify({ language: "python", code }),
      });

    await t.step("the queue holds one run, the next gets 429", async () => {
      const busy = post("import time\ntime.sleep(0.3)");
      await sleep(100);
      const queued = post("'queued'");
      await sleep(50);
      const refused = await post("'refused'");
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), "1");
      assert.match((await refused.json()).error, /Queue is full/);
      assert.equal((await busy).status, 200);
      const ok = await queued;
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).output.ret_val, "queued");
    });

    await t.step("a run that waits longer than allowed gets 503", async () => {
      const busy = post("import time\ntime.sleep(1.5)");
      await sleep(100);
      const started = performance.now();
      const waited = await post("'late'");
      const elapsed = performance.now() - started;
      assert.equal(waited.status, 503);
      assert.equal(waited.headers.get("retry-after"), "1");
      assert.match((await waited.json()).error, /waited \d+ ms in the queue/);
      assert.ok(elapsed >= 450 && elapsed < 1400, `${elapsed} ms`);
      await (await busy).body?.cancel();
    });

    await t.step("rejections are counted by reason", async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /faas_rejections_total\{reason="queue_full"\} 1/);
      assert.match(text, /faas_rejections_total\{reason="queue_timeout"\} 1/);
    });

    await server.close();
  },
});
