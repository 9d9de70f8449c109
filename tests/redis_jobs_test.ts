/**
 * Jobs across replicas on one Redis (a real `redis-server` on loopback):
 * submitted to one replica, read, streamed and cancelled through the other,
 * dead-lettered after repeated host kills wherever they run, and the jobs
 * of a replica SIGKILLed mid-run taken over by the other replica once their
 * leases ran out (an attempt counted only for runs that had started).
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import { startRedis } from "./helpers/redis.ts";
import { startServiceProcess } from "./helpers/service_process.ts";
import { readEvents } from "./helpers/sse.ts";
import { RedisJobStore } from "../jobs/redis_store.ts";
import { keyId } from "../routes/auth.ts";
import { queuedJob } from "./helpers/jobs.ts";
import type { JobBody } from "./helpers/jobs_api.ts";

// The key of the replicas that have keys (listing jobs takes one); ignored by the others.
const headers = { authorization: "Bearer key-r" };
const post = async (url: string, body: unknown) =>
  await (await fetch(`${url}/jobs`, { method: "POST", body: JSON.stringify(body), headers }))
    .json();
const get = async (url: string, id: string, wait = 0) =>
  await (await fetch(`${url}/jobs/${id}?wait=${wait}`, { headers })).json();
/** Long-polls `id` through `url` until it is neither queued nor running. */
async function settle(url: string, id: string) {
  let job = await get(url, id, 10);
  for (let i = 0; i < 10 && ["queued", "running"].includes(job.status); i++) {
    job = await get(url, id, 5);
  }
  return job;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The busy Python host of either replica, once there is one. */
async function busyHost(servers: TestServer[]) {
  for (let i = 0; i < 200; i++) {
    for (const s of servers) {
      const host = s.service.pools.python.hosts().find((h) => h.state === "busy");
      if (host) return host;
    }
    await sleep(20);
  }
  throw new Error("no busy host");
}

Deno.test({
  name: "replicas share jobs through Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const redis = await startRedis();
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_JOB_STORE: redis.url,
      FAAS_JOB_MAX_ATTEMPTS: "2",
      FAAS_API_KEYS: "key-r",
    };
    const a = await startServer(env);
    const b = await startServer(env);
    try {
      await t.step("a job submitted to one replica is read through the other", async () => {
        const sub = await post(a.url, { language: "python", code: "6 * 7" });
        const job = await settle(b.url, sub.id);
        assert.equal(job.status, "done");
        assert.equal(job.result.output.ret_val, "42");
      });

      await t.step("a job's output streams live through both replicas", async () => {
        const sub = await post(a.url, {
          language: "python",
          code: "import time\nprint('one', flush=True)\ntime.sleep(0.8)\nprint('two')\n7",
        });
        // One of the two runs it: the other reads the output from Redis.
        const started = performance.now();
        const streams = await Promise.all([a, b].map(async (s) => {
          const res = await fetch(`${s.url}/jobs/${sub.id}/events`, { headers });
          return await readEvents(res, started);
        }));
        for (const events of streams) {
          const out = events.filter((e) => e.event === "stdout");
          assert.equal(out.map((e) => JSON.parse(e.data)).join(""), "one\ntwo\n");
          const result = events.at(-1)!;
          assert.equal(result.event, "result");
          assert.equal(JSON.parse(result.data).result.output.ret_val, "7");
          assert.ok(result.at - out[0].at >= 500, `first output ${out[0].at}, result ${result.at}`);
        }
      });

      await t.step("a running job is cancelled through the other replica", async () => {
        const sub = await post(a.url, {
          language: "python",
          code: "import time\ntime.sleep(20)",
          timeout: 30000,
        });
        let job = await get(b.url, sub.id);
        for (let i = 0; i < 50 && job.status !== "running"; i++) {
          await sleep(100);
          job = await get(b.url, sub.id);
        }
        assert.equal(job.status, "running");
        const res = await fetch(`${b.url}/jobs/${sub.id}`, { method: "DELETE", headers });
        assert.equal(res.status, 200);
        await res.body?.cancel();
        // The replica running it stops the run within its next check.
        let idle = false;
        for (let i = 0; i < 50 && !idle; i++) {
          await sleep(100);
          idle = [a, b].every((s) =>
            s.service.pools.python.hosts().every((h) => h.state !== "busy")
          );
        }
        assert.ok(idle, "the run was stopped");
        assert.equal((await get(a.url, sub.id)).status, "cancelled");
      });

      await t.step("a job whose host keeps dying is dead on both, and retried", async () => {
        const sub = await post(a.url, {
          language: "python",
          code: "import time\ntime.sleep(2)\n'survived'",
        });
        // Whichever replica holds the run, kill its host once the run
        // reached the sandbox (`attempts` counts it then), until the job gives up.
        for (let attempt = 1; attempt <= 2; attempt++) {
          let now = await get(a.url, sub.id);
          for (let i = 0; i < 400 && now.attempts < attempt; i++) {
            await sleep(50);
            now = await get(a.url, sub.id);
          }
          assert.equal(now.attempts, attempt, JSON.stringify(now));
          assert.equal(now.status, "running");
          Deno.kill((await busyHost([a, b])).pid, "SIGKILL");
        }
        const dead = await settle(b.url, sub.id);
        assert.equal(dead.status, "dead");
        assert.equal(dead.attempts, 2);
        assert.equal(dead.request.code, "import time\ntime.sleep(2)\n'survived'");
        assert.deepEqual(
          dead.history.map((h: { attempt: number; outcome: string }) => [h.attempt, h.outcome]),
          [[1, "failed"], [2, "failed"]],
        );
        const listed = await (await fetch(`${b.url}/jobs?status=dead`, { headers })).json();
        assert.ok(listed.jobs.some((j: { id: string }) => j.id === sub.id));
        const retried = await fetch(`${b.url}/jobs/${sub.id}/retry`, { method: "POST", headers });
        assert.equal(retried.status, 202);
        await retried.body?.cancel();
        const again = await settle(a.url, sub.id);
        assert.equal(again.status, "done");
        assert.equal(again.result.output.ret_val, "survived");
        // The retry added to the history kept in Redis.
        assert.equal(again.attempts, 3);
        assert.deepEqual(
          again.history.map((h: { attempt: number; outcome: string }) => [h.attempt, h.outcome]),
          [[1, "failed"], [2, "failed"], [3, "done"]],
        );
      });
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "a job of a replica killed with SIGKILL is finished by the other replica",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRedis();
    const env = { FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2", FAAS_JOB_STORE: redis.url };
    // Only the first replica is up when the jobs are submitted, so it claims
    // all four (2 x FAAS_MAX_INSTANCES) and starts those its hosts can take:
    // the two long ones at most; the short ones wait behind them.
    const first = await startServiceProcess(env);
    let second = undefined;
    const store = new RedisJobStore(redis.url);
    try {
      const subs = [];
      for (const [tag, s] of [["a", 20], ["b", 20], ["c", 0.2], ["d", 0.2]] as const) {
        subs.push(
          await post(first.url, {
            language: "python",
            code: `import time\nprint('${tag} started', flush=True)\ntime.sleep(${s})\n'${tag}'`,
            timeout: 30000,
          }),
        );
      }
      const ids: string[] = subs.map((sub) => sub.id);
      const job = await get(first.url, ids[0]);
      for (let i = 0; i < 100 && job.started_at === null; i++) {
        await sleep(50);
        Object.assign(job, await get(first.url, ids[0]));
      }
      assert.equal(job.status, "running");
      second = await startServiceProcess(env);
      // Still the first replica's: its lease is being renewed.
      assert.equal((await get(second.url, ids[0])).status, "running");
      await first.stop("SIGKILL");
      // The jobs as the killed replica left them (its leases still run).
      const before = await Promise.all(ids.map(async (id) => (await store.get(id))!));
      const shape = JSON.stringify(before.map((j) => [j.status, j.startedAt, j.attempts]));
      assert.ok(before.every((j) => j.status === "running"), shape);
      const started = before.filter((j) => j.startedAt !== undefined);
      const claimedOnly = before.filter((j) => j.startedAt === undefined);
      assert.ok(started.length >= 1 && claimedOnly.length >= 1, shape);
      assert.ok(claimedOnly.every((j) => j.attempts === 0), shape);
      const taken: JobBody[] = [];
      for (const id of ids) taken.push(await settle(second.url, id));
      assert.deepEqual(taken.map((j) => j.status), ["done", "done", "done", "done"]);
      assert.deepEqual(taken.map((j) => j.result!.output.ret_val), ["a", "b", "c", "d"]);
      assert.equal(taken[0].result!.output.stdout, "a started\n");
      const attempts = (list: { id: string }[]) =>
        list.map((j) => taken[ids.indexOf(j.id)].attempts);
      // Cut short by the kill: a second attempt. Claimed but never started: the first.
      assert.deepEqual(attempts(started), started.map(() => 2));
      assert.deepEqual(attempts(claimedOnly), claimedOnly.map(() => 1));
    } finally {
      await store.close();
      await first.stop("SIGKILL");
      await second?.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "retrying a dead job counts toward its key's runs per minute",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRedis();
    const key = `key-${crypto.randomUUID()}`;
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_JOB_STORE: redis.url,
      FAAS_API_KEYS: key,
      FAAS_KEY_RUNS_PER_MINUTE: "1",
    });
    // A dead job of the key, put straight into the shared store.
    const store = new RedisJobStore(redis.url);
    const id = crypto.randomUUID();
    const retry = () =>
      fetch(`${server.url}/jobs/${id}/retry`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
      });
    try {
      await store.insert([queuedJob(id, keyId(key), "low", Date.now())]);
      assert.ok(await store.finish(id, ["queued"], "dead", Date.now(), { error: "test" }));
      const first = await retry();
      assert.equal(first.status, 202);
      await first.body?.cancel();
      const done = await (await fetch(`${server.url}/jobs/${id}?wait=10`, {
        headers: { authorization: `Bearer ${key}` },
      })).json();
      assert.equal(done.status, "done");
      assert.ok(await store.finish(id, ["done"], "dead", Date.now(), { error: "test" }));
      const second = await retry();
      assert.equal(second.status, 429);
      assert.match((await second.json()).error, /1 runs per minute/);
    } finally {
      await store.close();
      await server.close();
      await redis.stop();
    }
  },
});
