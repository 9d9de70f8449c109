/**
 * Jobs across replicas on one Redis (a real `redis-server` on loopback):
 * submitted to one replica, read and cancelled through the other, and a job
 * whose replica died (its lease ran out) taken over and finished.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { RedisJobStore } from "../jobs/redis_store.ts";
import { freePort } from "./helpers/ports.ts";

const post = async (url: string, body: unknown) =>
  await (await fetch(`${url}/jobs`, { method: "POST", body: JSON.stringify(body) })).json();
const get = async (url: string, id: string, wait = 0) =>
  await (await fetch(`${url}/jobs/${id}?wait=${wait}`)).json();

Deno.test({
  name: "replicas share jobs through Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const port = freePort();
    const redis = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const url = `redis://127.0.0.1:${port}/0`;
    await new Promise((r) => setTimeout(r, 300));
    const env = { FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2", FAAS_JOB_STORE: url };
    const a = await startServer(env);
    const b = await startServer(env);
    try {
      await t.step("a job submitted to one replica is read through the other", async () => {
        const sub = await post(a.url, { language: "python", code: "6 * 7" });
        let job = await get(b.url, sub.id, 10);
        for (let i = 0; i < 10 && job.status !== "done"; i++) job = await get(b.url, sub.id, 5);
        assert.equal(job.status, "done");
        assert.equal(job.result.output.ret_val, "42");
      });

      await t.step("a running job is cancelled through the other replica", async () => {
        const sub = await post(a.url, {
          language: "python",
          code: "import time\ntime.sleep(20)",
          timeout: 30000,
        });
        let job = await get(b.url, sub.id);
        for (let i = 0; i < 50 && job.status !== "running"; i++) {
          await new Promise((r) => setTimeout(r, 100));
          job = await get(b.url, sub.id);
        }
        assert.equal(job.status, "running");
        const res = await fetch(`${b.url}/jobs/${sub.id}`, { method: "DELETE" });
        assert.equal(res.status, 200);
        await res.body?.cancel();
        // The replica running it stops the run within its next check.
        let idle = false;
        for (let i = 0; i < 50 && !idle; i++) {
          await new Promise((r) => setTimeout(r, 100));
          idle = [a, b].every((s) =>
            s.service.pools.python.hosts().every((h) => h.state !== "busy")
          );
        }
        assert.ok(idle, "the run was stopped");
        assert.equal((await get(a.url, sub.id)).status, "cancelled");
      });

      await t.step("a job whose replica died is taken over when its lease runs out", async () => {
        // Play a replica that queues a job, claims it with a 1 s lease and dies.
        const store = new RedisJobStore(url);
        const id = crypto.randomUUID();
        try {
          await store.insert([{
            id,
            owner: "",
            status: "queued",
            attempts: 0,
            createdAt: Date.now(),
            run: {
              request: {
                language: "javascript",
                code: "return 'taken over'",
                input: "null",
                stdin: "",
                timeoutMs: 5000,
                priority: "normal",
                key: `once:${id}`,
              },
              timeoutClamped: false,
              ignoredFields: [],
            },
          }]);
          const claimed = await store.claim(Date.now(), 1000);
          assert.equal(claimed?.id, id);
          assert.equal((await get(b.url, id)).status, "running");
        } finally {
          await store.close();
        }
        let job = await get(b.url, id, 15);
        for (let i = 0; i < 5 && job.status !== "done"; i++) job = await get(b.url, id, 5);
        assert.equal(job.status, "done");
        assert.equal(job.result.output.ret_val, "taken over");
        assert.equal(job.attempts, 2);
      });
    } finally {
      await a.close();
      await b.close();
      redis.kill("SIGTERM");
      await redis.status;
    }
  },
});
