/**
 * Sessions across replicas on one Redis (a real `redis-server` on
 * loopback): a session lives on the replica that made it; the other
 * replica tells its owner which replica holds it (409), tells anyone else
 * it does not exist (404), and once the holding replica is gone says the
 * session went with it (410).
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { startRedis } from "./helpers/redis.ts";
import { sessionClient } from "./helpers/sessions.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "a session lives on its replica and the others say where",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const redis = await startRedis();
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_JOB_STORE: redis.url,
      FAAS_API_KEYS: "k1,k2",
      FAAS_REPLICA_HEARTBEAT_S: "1",
      FAAS_MAX_SESSIONS_PER_KEY: "3",
    };
    const a = await startServer(env);
    const b = await startServer(env);
    let aOpen = true;
    let redisUp = true;
    try {
      const onA = sessionClient(a.url, "k1");
      const onB = sessionClient(b.url, "k1");
      const otherOnB = sessionClient(b.url, "k2");
      const replicaA = a.service.replica;
      assert.ok(replicaA && replicaA !== b.service.replica, "each replica has an id of its own");
      const made = await onA.create("javascript", { ttl_s: 60 });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const id = made.body.id;

      await t.step("runs on the replica that made it", async () => {
        const first = await onA.run(id, "globalThis.n = 41; n");
        assert.equal(first.status, 200, JSON.stringify(first.body));
        const second = await onA.run(id, "n + 1");
        assert.equal(second.body.output.ret_val, "42");
      });

      await t.step("the other replica names the one holding it (409)", async () => {
        const answers = [
          await onB.run(id, "n"),
          await onB.get(id),
          await onB.call("GET", `/sessions/${id}/files`),
          await onB.call("PUT", `/sessions/${id}/files/a.txt`, "x"),
          await onB.remove(id),
        ];
        for (const answer of answers) {
          assert.equal(answer.status, 409, JSON.stringify(answer.body));
          assert.equal(answer.body.replica, replicaA);
          assert.match(answer.body.error, new RegExp(`lives on replica ${replicaA}`));
        }
        // Nothing moved: it still runs where it lives.
        assert.equal((await onA.run(id, "n")).body.output.ret_val, "41");
      });

      await t.step("to another key it does not exist on either replica (404)", async () => {
        for (const answer of [await otherOnB.run(id, "n"), await otherOnB.get(id)]) {
          assert.equal(answer.status, 404, JSON.stringify(answer.body));
          assert.equal(answer.body.replica, undefined);
        }
      });

      await t.step("a session deleted where it lives is not found elsewhere (404)", async () => {
        const other = (await onA.create("javascript")).body.id;
        assert.equal((await onA.remove(other)).status, 204);
        assert.equal((await onB.get(other)).status, 404);
      });

      await t.step("every replica lists the caller's sessions on all replicas", async () => {
        const onBOwn = (await onB.create("python")).body.id;
        const fromB = (await onB.list()).body;
        assert.equal(fromB.partial, undefined);
        const remote = fromB.sessions.find((s: { id: string }) => s.id === id);
        assert.deepEqual(Object.keys(remote).sort(), [
          "expires_at",
          "id",
          "language",
          "replica",
          "replica_alive",
        ]);
        assert.equal(remote.replica, replicaA);
        assert.equal(remote.replica_alive, true);
        assert.equal(remote.language, "javascript");
        const local = fromB.sessions.find((s: { id: string }) => s.id === onBOwn);
        assert.equal(local.replica, b.service.replica);
        assert.equal(local.runs, 0);
        const fromA = (await onA.list()).body.sessions.map((s: { id: string }) => s.id).sort();
        assert.deepEqual(fromA, [id, onBOwn].sort());
        // Another key sees none of them, on either replica.
        assert.deepEqual((await otherOnB.list()).body.sessions, []);
        // The per-key limit holds across replicas: one on A and one on B, so
        // one more anywhere, then 429 on either.
        const third = await onA.create("javascript");
        assert.equal(third.status, 201, JSON.stringify(third.body));
        for (const client of [onA, onB]) {
          const over = await client.create("javascript");
          assert.equal(over.status, 429, JSON.stringify(over.body));
          assert.match(over.body.error, /You have 3 live sessions/);
        }
        assert.equal((await otherOnB.create("javascript")).status, 201, "another key has its own");
        assert.equal((await onA.remove(third.body.id)).status, 204);
        assert.equal((await onB.remove(onBOwn)).status, 204);
        assert.deepEqual(
          (await onA.list()).body.sessions.map((s: { id: string }) => s.id),
          [id],
        );
      });

      await t.step("once its replica is gone, the session is gone too (410)", async () => {
        await a.close();
        aOpen = false;
        // Past the heartbeat's TTL, as after a replica that died without a word.
        await sleep(1500);
        for (const answer of [await onB.run(id, "n"), await onB.get(id)]) {
          assert.equal(answer.status, 410, JSON.stringify(answer.body));
          assert.equal(answer.body.replica, replicaA);
          assert.match(answer.body.error, /replica holding it .* is gone/);
        }
        assert.equal((await otherOnB.get(id)).status, 404);
        const listed = (await onB.list()).body.sessions;
        assert.equal(listed.length, 1);
        assert.equal(listed[0].id, id);
        assert.equal(listed[0].replica_alive, false);
      });

      await t.step("without Redis, a listing says it is partial", async () => {
        await redis.stop();
        redisUp = false;
        const own = (await onB.create("javascript")).body.id;
        const listed = (await onB.list()).body;
        assert.equal(listed.partial, true);
        assert.deepEqual(listed.sessions.map((s: { id: string }) => s.id), [own]);
      });
    } finally {
      if (aOpen) await a.close();
      await b.close();
      if (redisUp) await redis.stop();
    }
  },
});
