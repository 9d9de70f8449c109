/**
 * The jobs API end to end: submit, poll, long-poll, cancel, idempotency,
 * batches, visibility per key, expiry, dead-lettering after repeated host
 * kills and retry, and durability across a SIGKILL of the service (where an
 * attempt counts only for a run that had reached a sandbox).
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import { freePort } from "./helpers/ports.ts";
import { startServiceProcess } from "./helpers/service_process.ts";
import { readEvents } from "./helpers/sse.ts";
import { SqliteJobStore } from "../jobs/sqlite_store.ts";
import { type JobBody, jobsApi as api } from "./helpers/jobs_api.ts";

async function busyHost(server: TestServer) {
  for (let i = 0; i < 200; i++) {
    const host = server.service.pools.python.hosts().find((h) => h.state === "busy");
    if (host) return host;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("no busy host");
}

Deno.test({
  name: "jobs are submitted, polled, cancelled and kept apart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // One Python host; up to 4 jobs in flight (2 x FAAS_MAX_INSTANCES). A
    // key, so jobs can be listed.
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_JOB_TTL: "1500",
      FAAS_JOB_MAX_ATTEMPTS: "2",
      FAAS_API_KEYS: "key-main",
    });
    const jobs = api(server, { authorization: "Bearer key-main" });
    try {
      await t.step("a job runs and its result is the /run_code body", async () => {
        const sub = await jobs.submit({
          language: "python",
          code: "print('hi')\nINPUT * 2",
          input: 21,
        });
        assert.equal(sub.status, 202);
        assert.equal(sub.body.status, "queued");
        assert.equal(sub.headers.get("location"), `/jobs/${sub.body.id}`);
        const done = await jobs.settle(sub.body.id);
        assert.equal(done.status, "done");
        assert.equal(done.attempts, 1);
        assert.equal(done.result!.output.ret_val, "42");
        assert.equal(done.result!.output.stdout, "hi\n");
        assert.equal(done.result!.metadata.status, "success");
        assert.ok(done.started_at && done.finished_at && done.created_at <= done.started_at);
      });

      await t.step("/jobs/{id}/events streams the output live, then the job", async () => {
        const sub = await jobs.submit({
          language: "python",
          code: "import time\nprint('one', flush=True)\ntime.sleep(0.8)\nprint('two')\n7",
        });
        const started = performance.now();
        const res = await jobs.events(sub.body.id);
        assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
        const text = await res.text();
        const events = text.trim().split("\n\n").map((block) => ({
          event: block.match(/^event: (.*)$/m)?.[1],
          data: JSON.parse(block.match(/^data: (.*)$/m)![1]),
        }));
        assert.ok(performance.now() - started > 500, "it stayed open while the job ran");
        const out = events.filter((e) => e.event === "stdout").map((e) => e.data).join("");
        assert.equal(out, "one\ntwo\n");
        const last = events.at(-1)!;
        assert.equal(last.event, "result");
        assert.equal(last.data.status, "done");
        assert.equal(last.data.result.output.ret_val, "7");
        // A finished job replays its output and ends at once.
        const again = await (await jobs.events(sub.body.id)).text();
        assert.match(again, /event: stdout\ndata: "one\\ntwo\\n"/);
        assert.match(again, /event: result/);
        const missing = await jobs.events("nope");
        assert.equal(missing.status, 404);
        await missing.body?.cancel();
      });

      await t.step("?wait long-polls until the job finishes", async () => {
        const sub = await jobs.submit({
          language: "js",
          code: "await new Promise((r) => setTimeout(r, 400)); return 1",
        });
        const started = performance.now();
        const r = await jobs.get(sub.body.id, 10);
        assert.equal(r.body.status, "done");
        assert.ok(performance.now() - started < 5000);
        assert.equal((await jobs.get(sub.body.id, 61)).status, 400);
      });

      await t.step("queued and running jobs can be cancelled", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) {
          ids.push(
            (await jobs.submit({ language: "python", code: "import time\ntime.sleep(1.5)" })).body
              .id,
          );
        }
        await busyHost(server);
        const queued = (await jobs.list("queued")).body.jobs.map((j: JobBody) => j.id);
        assert.ok(queued.length >= 1, "some wait in the store");
        const last = ids.at(-1)!;
        assert.ok(queued.includes(last));
        assert.equal((await jobs.cancel(last)).body.status, "cancelled");
        assert.equal((await jobs.get(last)).body.status, "cancelled");
        const running = ids[0];
        assert.equal((await jobs.get(running)).body.status, "running");
        assert.equal((await jobs.cancel(running)).status, 200);
        assert.equal((await jobs.settle(running)).status, "cancelled");
        assert.equal((await jobs.cancel(running)).status, 409);
        // Never counted as a timeout or a caller that left. (Stopped while it
        // ran, or before its instance was ready, it is counted as cancelled;
        // the job's own record says cancelled above.)
        const text = await (await fetch(`${server.url}/metrics`)).text();
        assert.doesNotMatch(text, /status="timeout"|reason="client_gone"/);
        for (const id of ids.slice(1, -1)) assert.equal((await jobs.settle(id)).status, "done");
      });

      await t.step("queued jobs start by priority, then age", async () => {
        // Four fill what may be in flight; the rest wait in the store.
        const busy = [];
        for (let i = 0; i < 4; i++) {
          busy.push(
            (await jobs.submit({ language: "python", code: "import time\ntime.sleep(0.8)" })).body
              .id,
          );
        }
        const low = (await jobs.submit({ language: "python", code: "1", priority: "low" })).body.id;
        const normal = (await jobs.submit({ language: "python", code: "2" })).body.id;
        const urgent =
          (await jobs.submit({ language: "python", code: "3", priority: "urgent" })).body.id;
        const started = async (id: string) => Date.parse((await jobs.settle(id)).started_at!);
        const [u, n, l] = [await started(urgent), await started(normal), await started(low)];
        assert.ok(u <= n && n <= l, `urgent ${u}, normal ${n}, low ${l}`);
        for (const id of busy) await jobs.settle(id);
      });

      await t.step("an Idempotency-Key returns the same job and runs it once", async () => {
        const body = { language: "python", code: "import random\nrandom.random()" };
        const a = await jobs.submit(body, { "idempotency-key": "order-17" });
        const b = await jobs.submit(body, { "idempotency-key": "order-17" });
        assert.equal(a.body.id, b.body.id);
        const done = await jobs.settle(a.body.id);
        assert.equal(done.attempts, 1);
        const c = await jobs.submit(body, { "idempotency-key": "order-18" });
        assert.notEqual(c.body.id, a.body.id);
        assert.equal((await jobs.submit(body, { "idempotency-key": "bad key" })).status, 400);
      });

      await t.step("an Idempotency-Key used for a different request is a 409", async () => {
        const run = (code: string) => ({ language: "js", code });
        const first = await jobs.submit(run("return 1"), { "idempotency-key": "pay-1" });
        assert.equal(first.status, 202);
        const cases: [string, unknown][] = [
          ["other code", run("return 2")],
          ["other input", { ...run("return 1"), input: 5 }],
          ["a batch under a single run's key", { runs: [run("return 1")] }],
        ];
        for (const [what, body] of cases) {
          const again = await jobs.submit(body, { "idempotency-key": "pay-1" });
          assert.equal(again.status, 409, what);
          assert.equal(again.body.details[0].field, "Idempotency-Key", what);
          assert.match(again.body.error, /"pay-1" was used for a different request/);
        }
        const batch = { runs: [run("return 1"), run("return 2")] };
        const b1 = await jobs.submit(batch, { "idempotency-key": "pay-2" });
        const b2 = await jobs.submit(batch, { "idempotency-key": "pay-2" });
        assert.deepEqual(b2.body.ids, b1.body.ids);
        for (const runs of [[run("return 1")], [...batch.runs, run("return 3")]]) {
          const again = await jobs.submit({ runs }, { "idempotency-key": "pay-2" });
          assert.equal(again.status, 409, `${runs.length} runs`);
        }
        await jobs.settle(first.body.id);
        for (const id of b1.body.ids) await jobs.settle(id);
      });

      await t.step("a body over FAAS_MAX_BODY_BYTES is a 413 and stores nothing", async () => {
        const big = { language: "python", code: `x = "${"y".repeat(server.config.maxBodyBytes)}"` };
        const before = (await jobs.list("queued")).body.jobs.length;
        const res = await jobs.submit(big);
        assert.equal(res.status, 413);
        assert.equal(res.body.details[0].field, "body");
        assert.ok(JSON.stringify(res.body).length < 500, "the error does not echo the body");
        assert.equal((await jobs.list("queued")).body.jobs.length, before);
      });

      await t.step("a batch is queued whole, or not at all", async () => {
        const bad = await jobs.submit({
          runs: [
            { language: "python", code: "1" },
            { language: "python", code: "" },
            { language: "cobol", code: "1" },
          ],
        });
        assert.equal(bad.status, 400);
        const fields = bad.body.details.map((d: { field: string }) => d.field);
        assert.deepEqual(fields, ["runs.1.code", "runs.2.language"]);
        assert.deepEqual((await jobs.list("queued")).body.jobs, []);
        const ok = await jobs.submit({
          runs: [1, 2, 3].map((n) => ({ language: "js", code: `return ${n} * 10` })),
        });
        assert.equal(ok.status, 202);
        assert.equal(ok.body.ids.length, 3);
        const results = [];
        for (const id of ok.body.ids) results.push((await jobs.settle(id)).result!.output.ret_val);
        assert.deepEqual(results, ["10", "20", "30"]);
        assert.equal((await jobs.submit({ runs: [] })).status, 400);
      });

      await t.step("a job whose host keeps dying is dead, listed, and can be retried", async () => {
        const sub = await jobs.submit({
          language: "python",
          code: "import time\ntime.sleep(2)\n'survived'",
        });
        // Kill the host under each attempt once its run reached the sandbox
        // (`attempts` counts it then), until the job gives up.
        for (let attempt = 1; attempt <= 2; attempt++) {
          let now = (await jobs.get(sub.body.id)).body;
          for (let i = 0; i < 400 && now.attempts < attempt; i++) {
            await new Promise((r) => setTimeout(r, 50));
            now = (await jobs.get(sub.body.id)).body;
          }
          assert.equal(now.attempts, attempt, JSON.stringify(now));
          assert.equal(now.status, "running");
          Deno.kill((await busyHost(server)).pid, "SIGKILL");
        }
        const dead = await jobs.settle(sub.body.id);
        assert.equal(dead.status, "dead");
        assert.equal(dead.attempts, 2);
        assert.match(dead.error ?? "", /Failed 2 times/);
        // The dead letter says what was asked and how each attempt ended.
        assert.equal(dead.request?.language, "python");
        assert.equal(dead.request?.code, "import time\ntime.sleep(2)\n'survived'");
        assert.equal(dead.request?.input, null);
        assert.deepEqual(dead.history.map((a) => [a.attempt, a.outcome, a.run_status]), [
          [1, "failed", "killed"],
          [2, "failed", "killed"],
        ]);
        for (const a of dead.history) {
          assert.ok(a.started_at && Date.parse(a.finished_at) >= Date.parse(a.started_at));
          assert.match(a.error ?? "", /died/);
          assert.match(a.instance_id ?? "", /^py-\d+\/\d+$/);
        }
        const listed = (await jobs.list("dead")).body.jobs.map((j: JobBody) => j.id);
        assert.ok(listed.includes(sub.body.id));
        assert.equal((await jobs.retry(sub.body.id)).status, 202);
        const again = await jobs.settle(sub.body.id);
        assert.equal(again.status, "done");
        assert.equal(again.result!.output.ret_val, "survived");
        // A retry adds to the history, never erases it.
        assert.equal(again.attempts, 3);
        assert.deepEqual(again.history.map((a) => [a.attempt, a.outcome]), [
          [1, "failed"],
          [2, "failed"],
          [3, "done"],
        ]);
        assert.equal(again.request, undefined, "only a dead letter carries its request");
        assert.equal((await jobs.retry(sub.body.id)).status, 409);
      });

      await t.step("finished jobs expire after FAAS_JOB_TTL", async () => {
        const sub = await jobs.submit({ language: "js", code: "return 1" });
        await jobs.settle(sub.body.id);
        await new Promise((r) => setTimeout(r, 3000));
        assert.equal((await jobs.get(sub.body.id)).status, 404);
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "a key sees only its own jobs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_API_KEYS: "key-a,key-b" });
    try {
      const a = api(server, { authorization: "Bearer key-a" });
      const b = api(server, { authorization: "Bearer key-b" });
      const sub = await a.submit({ language: "js", code: "return 1" });
      assert.equal(sub.status, 202);
      assert.equal((await a.settle(sub.body.id)).status, "done");
      assert.equal((await b.get(sub.body.id)).status, 404);
      assert.equal((await b.cancel(sub.body.id)).status, 404);
      assert.equal((await api(server).get(sub.body.id)).status, 401);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "jobs count toward their key's limits",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_API_KEYS: "key-a,key-b",
      FAAS_KEY_MAX_CONCURRENT: "1",
      FAAS_KEY_RUNS_PER_MINUTE: "6",
    });
    const a = api(server, { authorization: "Bearer key-a" });
    const b = api(server, { authorization: "Bearer key-b" });
    const sleeper = (tag: string) => ({
      language: "python",
      code: `import time\nprint('${tag}', flush=True)\ntime.sleep(0.4)\n'${tag}'`,
    });
    try {
      await t.step("a batch is charged per run, whole or not at all", async () => {
        const over = await a.submit({ runs: Array(7).fill(sleeper("x")) });
        assert.equal(over.status, 429);
        assert.match(over.body.error, /6 runs per minute .*7 runs submitted, 6 left/);
        assert.ok(Number(over.headers.get("retry-after")) >= 1);
        assert.equal((await a.list("queued")).body.jobs.length, 0);
      });

      await t.step("a key's jobs run one at a time; another key's job passes them", async () => {
        const batch = await a.submit({ runs: ["a1", "a2", "a3"].map(sleeper) });
        assert.equal(batch.status, 202);
        assert.equal(batch.headers.get("ratelimit-remaining"), "3");
        // One runs, two wait for the key: /metrics shows it (for scaling on queue depth).
        const jobGauges = async () => {
          const text = await (await fetch(`${server.url}/metrics`)).text();
          return ["queued", "running"].map((s) =>
            Number(text.match(new RegExp(`^faas_jobs\\{status="${s}"\\} (\\d+)$`, "m"))?.[1])
          );
        };
        let gauges = await jobGauges();
        for (let i = 0; i < 20 && gauges.join() !== "2,1"; i++) gauges = await jobGauges();
        assert.deepEqual(gauges, [2, 1]);
        // The last one is still queued: its events stream live once it runs.
        const started = performance.now();
        const lastEvents = fetch(`${server.url}/jobs/${batch.body.ids[2]}/events`, {
          headers: { authorization: "Bearer key-a" },
        }).then((res) => readEvents(res, started));
        const other = await b.submit(sleeper("b"));
        const mine = [];
        for (const id of batch.body.ids) mine.push(await a.settle(id));
        const theirs = await b.settle(other.body.id);
        assert.deepEqual(mine.map((j) => j.result!.output.ret_val), ["a1", "a2", "a3"]);
        const at = (iso: string | null) => Date.parse(iso!);
        for (let i = 1; i < mine.length; i++) {
          assert.ok(
            at(mine[i].started_at) >= at(mine[i - 1].finished_at),
            `job ${i} started before job ${i - 1} finished`,
          );
        }
        assert.ok(at(theirs.started_at) < at(mine[2].started_at), "key-b waited for key-a");
        const events = await lastEvents;
        assert.deepEqual(events.map((e) => e.event), ["stdout", "result"]);
        assert.equal(JSON.parse(events[0].data), "a3\n");
        assert.ok(events[1].at - events[0].at >= 300, JSON.stringify(events.map((e) => e.at)));
      });

      await t.step("the rest of the minute's budget is shared with /run_code", async () => {
        const headers = { authorization: "Bearer key-a" };
        const two = await a.submit({ runs: [sleeper("x"), sleeper("y")] });
        assert.equal(two.status, 202);
        // While a job of the key runs, /run_code finds the key at its limit.
        let busy = await server.run({ language: "js", code: "1" }, { headers });
        for (let i = 0; i < 50 && busy.status === 200; i++) {
          busy = await server.run({ language: "js", code: "1" }, { headers });
        }
        assert.equal(busy.status, 429);
        assert.match(busy.body.error ?? "", /already has 1 runs in progress/);
        for (const id of two.body.ids) await a.settle(id);
        // Refused runs used none of the budget: one of the six is left.
        assert.equal((await server.run({ language: "js", code: "1" }, { headers })).status, 200);
        const last = await server.run({ language: "js", code: "1" }, { headers });
        assert.equal(last.status, 429);
        assert.match(last.body.error ?? "", /6 runs per minute/);
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "jobs survive a SIGKILL of the service and finish after a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "faas-jobs-" });
    const store = `${dir}/jobs.sqlite`;
    const port = freePort();
    const server = { url: `http://127.0.0.1:${port}` };
    const jobs = api(server);
    const env = { FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2", FAAS_JOB_STORE: store };
    let child = await startServiceProcess(env, port);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        const code = `import time\ntime.sleep(1)\n${i}`;
        ids.push((await jobs.submit({ language: "python", code })).body.id);
      }
      await new Promise((r) => setTimeout(r, 500));
      await child.stop("SIGKILL");
      // The store as the killed service left it: up to 4 jobs claimed (2 x
      // FAAS_MAX_INSTANCES), of which only those on one of the 2 hosts started.
      const left = new SqliteJobStore(store);
      const before = await Promise.all(ids.map(async (id) => (await left.get(id))!));
      await left.close();
      const started = before.filter((j) => j.status === "running" && j.startedAt !== undefined);
      const claimedOnly = before.filter((j) => j.status === "running" && !j.startedAt);
      const queued = before.filter((j) => j.status === "queued");
      const shape = JSON.stringify(before.map((j) => [j.status, j.startedAt, j.attempts]));
      assert.ok(started.length >= 1 && claimedOnly.length >= 1 && queued.length >= 1, shape);
      // A claim is not an attempt: only runs that reached a sandbox counted one.
      assert.ok(started.every((j) => j.attempts === 1), shape);
      assert.ok(claimedOnly.every((j) => j.attempts === 0), shape);
      child = await startServiceProcess(env, port);
      const after = new Map<string, JobBody>();
      for (const id of ids) after.set(id, await jobs.settle(id));
      const done = [...after.values()];
      assert.deepEqual(done.map((j) => j.status), Array(8).fill("done"));
      assert.deepEqual(done.map((j) => j.result!.output.ret_val), ids.map((_, i) => String(i)));
      const attemptsOf = (list: { id: string }[]) => list.map((j) => after.get(j.id)!.attempts);
      // Runs cut short by the kill ran again: a second attempt.
      assert.deepEqual(attemptsOf(started), started.map(() => 2));
      // Jobs claimed but never started, and queued ones, ran once: one attempt.
      assert.deepEqual(attemptsOf(claimedOnly), claimedOnly.map(() => 1));
      assert.deepEqual(attemptsOf(queued), queued.map(() => 1));
    } finally {
      await child.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
