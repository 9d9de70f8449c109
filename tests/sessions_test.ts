/**
 * Sessions: state carries from run to run (Python and JS), runs of one
 * session go one at a time in order, sessions expire, are limited per key,
 * end when deleted, and say so when their sandbox was killed.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { sessionClient } from "./helpers/sessions.ts";

Deno.test({
  name: "sessions keep state and end as asked",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      // Two Python hosts, so that two sessions can run side by side.
      FAAS_POOL_SIZE: "4",
      FAAS_MAX_INSTANCES: "4",
      FAAS_MAX_SESSIONS_PER_KEY: "3",
      FAAS_IDLE_TIMEOUT: "1000",
    });
    const client = sessionClient(server.url);
    try {
      await t.step("python: globals, imports and files carry over", async () => {
        const made = await client.create("python", { ttl_s: 60 });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        assert.equal(made.body.language, "python");
        assert.ok(Date.parse(made.body.expires_at) > Date.now());
        const id = made.body.id;
        const first = await client.run(
          id,
          "import json\nx = 41\nopen('state.txt', 'w').write('kept')\nprint('set')",
        );
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.metadata.status, "success");
        assert.equal(first.body.output.stdout, "set\n");
        const second = await client.run(
          id,
          "json.dumps({'x': x + 1, 'f': open('state.txt').read()})",
        );
        assert.equal(second.body.metadata.status, "success", JSON.stringify(second.body));
        assert.deepEqual(JSON.parse(second.body.output.ret_val), { x: 42, f: "kept" });
        assert.equal(second.body.session.runs, 2);
        const third = await client.run(id, "INPUT['n'] * x", { input: { n: 2 } });
        assert.equal(third.body.output.ret_val, "82");
        // An error does not lose the state.
        const failed = await client.run(id, "raise ValueError('boom')");
        assert.equal(failed.body.metadata.status, "error");
        const after = await client.run(id, "x");
        assert.equal(after.body.output.ret_val, "41");
        // A stateless run never sees the session's state.
        const stateless = await server.run({ language: "python", code: "print('x' in dir())" });
        assert.equal(stateless.body.output.stdout, "False\n");
        assert.equal((await client.remove(id)).status, 204);
      });

      await t.step("javascript: top-level declarations carry over", async () => {
        const { body: { id } } = await client.create("javascript");
        const first = await client.run(
          id,
          "let count = 1\nconst base = 40\nfunction add(a) { return a + base }\nclass Box { constructor(v) { this.v = v } }\nglobalThis.seen = 'yes'",
        );
        assert.equal(first.body.metadata.status, "success", JSON.stringify(first.body));
        const second = await client.run(id, "count += 1\nadd(count)");
        assert.equal(second.body.output.ret_val, "42", JSON.stringify(second.body));
        // Running a declaration again redefines it rather than failing.
        const again = await client.run(id, "const base = 1\nnew Box(add(1)).v + seen");
        assert.equal(again.body.output.ret_val, "2yes", JSON.stringify(again.body));
        // Top-level await runs too (its declarations end with the run).
        const awaited = await client.run(id, "const v = await Promise.resolve(count)\nreturn v");
        assert.equal(awaited.body.output.ret_val, "2", JSON.stringify(awaited.body));
        assert.equal((await client.remove(id)).status, 204);
      });

      await t.step("typescript sessions keep state too", async () => {
        const { body: { id } } = await client.create("ts");
        await client.run(id, "let total: number = 5");
        const next = await client.run(id, "total * 2");
        assert.equal(next.body.output.ret_val, "10", JSON.stringify(next.body));
        await client.remove(id);
      });

      await t.step("runs of one session go one at a time, in arrival order", async () => {
        const { body: { id } } = await client.create("python");
        await client.run(id, "import time\nlog = []");
        const slow = client.run(id, "time.sleep(0.5)\nlog.append('slow')\nlen(log)");
        await new Promise((r) => setTimeout(r, 50));
        const fast = client.run(id, "log.append('fast')\nlen(log)");
        const [a, b] = await Promise.all([slow, fast]);
        assert.equal(a.body.output.ret_val, "1");
        assert.equal(b.body.output.ret_val, "2");
        const log = await client.run(id, "','.join(log)");
        assert.equal(log.body.output.ret_val, "slow,fast");
        await client.remove(id);
      });

      await t.step("different sessions run side by side", async () => {
        const a = (await client.create("python")).body.id;
        const b = (await client.create("python")).body.id;
        await Promise.all([client.run(a, "1"), client.run(b, "1")]);
        const started = performance.now();
        const [ra, rb] = await Promise.all([
          client.run(a, "import time\ntime.sleep(0.6)\n'a'"),
          client.run(b, "import time\ntime.sleep(0.6)\n'b'"),
        ]);
        assert.equal(ra.body.output.ret_val, "a");
        assert.equal(rb.body.output.ret_val, "b");
        assert.ok(performance.now() - started < 1100, "the two sessions ran one after the other");
        await client.remove(a);
        await client.remove(b);
      });

      await t.step("GET describes, lists the caller's, DELETE ends", async () => {
        const { body: { id } } = await client.create("python");
        const got = await client.get(id);
        assert.equal(got.status, 200);
        assert.equal(got.body.id, id);
        const list = await client.list();
        assert.ok(list.body.sessions.some((s: { id: string }) => s.id === id));
        assert.equal((await client.remove(id)).status, 204);
        const gone = await client.run(id, "1");
        assert.equal(gone.status, 404);
        assert.match(gone.body.error, /was deleted/);
        const unknown = await client.get(crypto.randomUUID());
        assert.equal(unknown.status, 404);
        assert.match(unknown.body.error, /do not survive a restart/);
      });

      await t.step("a tenant's sessions are not another tenant's", async () => {
        const mine = await client.create("python", { tenant: "alice" });
        const id = mine.body.id;
        const other = await fetch(`${server.url}/sessions/${id}`, {
          headers: { "x-tenant-id": "bob" },
        });
        assert.equal(other.status, 404);
        await other.body?.cancel();
        const own = await fetch(`${server.url}/sessions/${id}`, {
          headers: { "x-tenant-id": "alice" },
        });
        assert.equal(own.status, 200);
        await own.body?.cancel();
        const run = await client.run(id, "1", { tenant: "alice" });
        assert.equal(run.status, 200);
        await fetch(`${server.url}/sessions/${id}`, {
          method: "DELETE",
          headers: { "x-tenant-id": "alice" },
        }).then((r) => r.body?.cancel());
      });

      await t.step("past the per-key limit: 429", async () => {
        for (const s of (await client.list()).body.sessions) await client.remove(s.id);
        const ids = [];
        for (let i = 0; i < 3; i++) {
          const made = await client.create("javascript");
          assert.equal(made.status, 201);
          ids.push(made.body.id);
        }
        const over = await client.create("javascript");
        assert.equal(over.status, 429);
        assert.match(over.body.error, /FAAS_MAX_SESSIONS_PER_KEY/);
        for (const id of ids) await client.remove(id);
        assert.equal((await client.create("javascript")).status, 201);
        for (const s of (await client.list()).body.sessions) await client.remove(s.id);
      });

      await t.step("an idle session expires: 404 saying so", async () => {
        const { body: { id } } = await client.create("javascript", { ttl_s: 1 });
        await client.run(id, "var x = 1");
        await new Promise((r) => setTimeout(r, 2500));
        const late = await client.run(id, "x");
        assert.equal(late.status, 404);
        assert.match(late.body.error, /expired/);
      });

      await t.step("the instance outlives the idle timeout while the session lives", async () => {
        const { body: { id } } = await client.create("python");
        await client.run(id, "kept = 'still here'");
        // FAAS_IDLE_TIMEOUT is 1 s: an ordinary instance would be dropped.
        await new Promise((r) => setTimeout(r, 2500));
        const later = await client.run(id, "kept");
        assert.equal(later.body.output.ret_val, "still here", JSON.stringify(later.body));
        await client.remove(id);
      });

      await t.step("a session killed by the memory limit says so on its next call", async () => {
        const { body: { id } } = await client.create("javascript");
        await client.run(id, "var keep = 1");
        const bomb = await client.run(
          id,
          "const xs = []; while (true) xs.push(new Uint8Array(16 * 1024 * 1024).fill(1));",
          { timeout: 30000 },
        );
        assert.equal(bomb.body.metadata.status, "memory_limit", JSON.stringify(bomb.body));
        const next = await client.run(id, "keep");
        assert.equal(next.status, 410, JSON.stringify(next.body));
        assert.match(next.body.error, /memory limit/);
        assert.equal((await client.get(id)).status, 410);
        // The slot is free again.
        assert.ok(!(await client.list()).body.sessions.some((s: { id: string }) => s.id === id));
      });

      await t.step("sessions in /metrics", async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        assert.match(text, /faas_sessions_total\{language="python",event="created"\} [1-9]/);
        assert.match(text, /faas_sessions_total\{language="javascript",event="expired"\} 1/);
        assert.match(text, /faas_sessions_total\{language="javascript",event="killed"\} 1/);
        assert.match(text, /^faas_sessions\{language="python"\} \d+$/m);
      });
    } finally {
      await server.close();
    }
  },
});
