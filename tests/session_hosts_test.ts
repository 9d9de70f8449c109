/**
 * Each session has a host process of its own: a run that gets its host
 * killed (a memory bomb, a loop that will not stop) ends no other caller's
 * session, whether it ran stateless or in a session of its own. Session
 * hosts fit the memory budget and go when their session ends.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { sessionClient } from "./helpers/sessions.ts";
import { sessionKey } from "../core/isolation_key.ts";

const JS_BOMB = "const xs = []; while (true) xs.push(new Uint8Array(16 * 1024 * 1024).fill(1));";
const PY_STUBBORN = [
  "while True:",
  "    try:",
  "        while True: pass",
  "    except BaseException:",
  "        pass",
].join("\n");

async function sessionHosts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^faas_session_hosts\{language="(\w+)"\} (\d+)$/gm)) {
    out[m[1]] = Number(m[2]);
  }
  return out;
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "a host killed by one run ends no other caller's session",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "4", FAAS_MAX_INSTANCES: "4" });
    const victim = sessionClient(server.url);
    const secret = `s3cret-${crypto.randomUUID()}`;
    try {
      const py = (await victim.create("python")).body.id;
      const js = (await victim.create("javascript")).body.id;

      await t.step("victim sessions hold a secret, each on a host of its own", async () => {
        const a = await victim.run(py, `secret = ${JSON.stringify(secret)}\nprint('set')`);
        assert.equal(a.body.output.stdout, "set\n", JSON.stringify(a.body));
        const b = await victim.run(
          js,
          `var secret = ${JSON.stringify(secret)}; console.log("set")`,
        );
        assert.equal(b.body.output.stdout, "set\n", JSON.stringify(b.body));
        assert.deepEqual(await sessionHosts(server.url), { python: 1, javascript: 1 });
      });

      await t.step("attacker: stateless runs get their hosts killed", async () => {
        for (let i = 0; i < 2; i++) {
          const bomb = await server.run({ language: "javascript", code: JS_BOMB, timeout: 30000 });
          assert.equal(bomb.body.metadata.status, "memory_limit", JSON.stringify(bomb.body));
        }
        const stubborn = await server.run({ language: "python", code: PY_STUBBORN, timeout: 1000 });
        assert.equal(stubborn.body.metadata.status, "timeout", JSON.stringify(stubborn.body));
      });

      await t.step("attacker: a session of its own gets its host killed", async () => {
        const attacker = sessionClient(server.url);
        const id = (await attacker.create("javascript")).body.id;
        const bomb = await attacker.run(id, JS_BOMB, { timeout: 30000 });
        assert.equal(bomb.body.metadata.status, "memory_limit", JSON.stringify(bomb.body));
        assert.equal((await attacker.run(id, "1")).status, 410);
        const pyId = (await attacker.create("python")).body.id;
        const stubborn = await attacker.run(pyId, PY_STUBBORN, { timeout: 1000 });
        assert.equal(stubborn.body.metadata.status, "timeout", JSON.stringify(stubborn.body));
        assert.equal((await attacker.run(pyId, "1")).status, 410);
      });

      await t.step("victim sessions still hold their state", async () => {
        const a = await victim.run(py, "secret");
        assert.equal(a.status, 200, JSON.stringify(a.body));
        assert.equal(a.body.output.ret_val, secret);
        const b = await victim.run(js, "secret");
        assert.equal(b.status, 200, JSON.stringify(b.body));
        assert.equal(b.body.output.ret_val, secret);
      });

      await t.step("collector: stateless runs see no session's state", async () => {
        const a = await server.run({ language: "python", code: "print('secret' in globals())" });
        assert.equal(a.body.output.stdout, "False\n");
        const b = await server.run({ language: "javascript", code: "console.log(typeof secret)" });
        assert.equal(b.body.output.stdout, "undefined\n");
      });

      await t.step("a session's host goes when the session ends", async () => {
        assert.equal((await victim.remove(py)).status, 204);
        assert.equal((await victim.remove(js)).status, 204);
        await until("session hosts to stop", async () => {
          const hosts = await sessionHosts(server.url);
          return hosts.python === 0 && hosts.javascript === 0;
        });
      });

      await t.step("a session whose own host failed to start takes a shared one", async () => {
        const id = (await victim.create("python")).body.id;
        const own = server.service.pools.python.hosts()
          .find((h) => h.dedicatedTo === sessionKey(id));
        assert.ok(own, "a host was started for the session");
        assert.equal(own.state, "starting");
        own.kill("crashed");
        await own.exited;
        const ran = await victim.run(id, "x = 6 * 7\nx");
        assert.equal(ran.status, 200, JSON.stringify(ran.body));
        assert.equal(ran.body.output.ret_val, "42");
        assert.equal((await victim.run(id, "x")).body.output.ret_val, "42");
        assert.deepEqual(await sessionHosts(server.url), { python: 1, javascript: 0 });
        assert.equal((await victim.remove(id)).status, 204);
      });

      await t.step("stateless runs still answer", async () => {
        const a = await server.run({ language: "python", code: "print(6 * 7)" });
        assert.equal(a.body.output.stdout, "42\n", JSON.stringify(a.body));
        const b = await server.run({ language: "javascript", code: "console.log(`n=${6 * 7}`)" });
        assert.equal(b.body.output.stdout, "n=42\n", JSON.stringify(b.body));
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "sessions are refused past the memory they may use",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // 256 MiB of warm memory: sessions may use 192 MiB, one Python session's host.
    const server = await startServer({ FAAS_WARM_MEMORY_MB: "256" });
    const client = sessionClient(server.url);
    try {
      const first = await client.create("python");
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const second = await client.create("javascript");
      assert.equal(second.status, 503, JSON.stringify(second.body));
      assert.match(second.body.error, /FAAS_WARM_MEMORY_MB/);
      assert.equal((await client.remove(first.body.id)).status, 204);
      const third = await client.create("javascript");
      assert.equal(third.status, 201, JSON.stringify(third.body));
      const ran = await client.run(third.body.id, "var n = 2; n * 21");
      assert.equal(ran.body.output.ret_val, "42", JSON.stringify(ran.body));
    } finally {
      await server.close();
    }
  },
});
