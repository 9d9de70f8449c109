/**
 * Runs that keep their thread busy give way: past FAAS_DEMOTE_AFTER_MS of
 * CPU-bound work a run's worker thread gets the lowest CPU priority, and
 * nothing else of its host does: not the host's own threads, not another
 * key's instance beside it. A demoted run stopped at its timeout on a
 * crowded machine is answered on time and its host lives on.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import { threadsOf } from "./helpers/threads.ts";
import type { Runtime } from "../protocol/host_messages.ts";

const BUSY = {
  javascript: "const end = Date.now() + 600;\nwhile (Date.now() < end) {}",
  python: "import time\nend = time.time() + 0.6\nwhile time.time() < end:\n    pass",
};

/** The instance a response names, with its host. */
function instanceOf(server: TestServer, runtime: Runtime, id: unknown) {
  for (const host of server.service.pools[runtime].hosts()) {
    for (const instance of host.instances()) if (instance.id === id) return { host, instance };
  }
  throw new Error(`No live instance ${id}`);
}

async function demotedCount(server: TestServer, runtime: Runtime): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) =>
    l.startsWith(`faas_runs_demoted_total{language="${runtime}"}`)
  );
  return line ? Number(line.split(" ").pop()) : 0;
}

Deno.test({
  name: "a run that keeps its thread busy runs at the lowest priority, and only it",
  ignore: Deno.build.os !== "linux",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // One host per language, so attacker and victim share it.
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    try {
      for (const runtime of ["javascript", "python"] as const) {
        await t.step(
          `${runtime}: the busy run's thread is demoted, its host's others are not`,
          async () => {
            const { body } = await server.run({ language: runtime, code: BUSY[runtime] });
            assert.equal(body.metadata.status, "success", JSON.stringify(body));
            const { host, instance } = instanceOf(server, runtime, body.metadata.instance_id);
            assert.ok(instance.demoted);
            assert.match(instance.thread ?? "", /^worker-\d+$/);
            const threads = await threadsOf(host.pid);
            assert.ok(threads.some((th) => th.name === instance.thread), JSON.stringify(threads));
            for (const th of threads) {
              assert.equal(th.nice, th.name === instance.thread ? 19 : 0, JSON.stringify(th));
            }
            assert.equal(await demotedCount(server, runtime), 1);
          },
        );
        await t.step(
          `${runtime}: another key's run on the same host keeps its priority`,
          async () => {
            const code = runtime === "python" ? "print('victim')" : "console.log('victim')";
            const { body } = await server.run({ language: runtime, code });
            assert.equal(body.output.stdout, "victim\n");
            const { host, instance } = instanceOf(server, runtime, body.metadata.instance_id);
            assert.equal(instance.demoted, false);
            const mine = (await threadsOf(host.pid)).find((th) => th.name === instance.thread);
            assert.equal(mine?.nice, 0, JSON.stringify(mine));
          },
        );
      }
      await t.step("a run that waits rather than computes is not demoted", async () => {
        const { body } = await server.run({
          language: "javascript",
          code: "await new Promise((r) => setTimeout(r, 500)); console.log('slept')",
        });
        assert.equal(body.output.stdout, "slept\n");
        const { instance } = instanceOf(server, "javascript", body.metadata.instance_id);
        assert.equal(instance.demoted, false);
        assert.equal(await demotedCount(server, "javascript"), 1);
      });
      await t.step(
        "on a crowded machine a demoted run stopped at its timeout is answered on time and its host lives on",
        async () => {
          const hogs = [0, 1, 2, 3].map(() =>
            new Deno.Command("sh", { args: ["-c", "while :; do :; done"], stdout: "null" }).spawn()
          );
          try {
            const [host] = server.service.pools.javascript.hosts();
            const started = performance.now();
            const { body } = await server.run({
              language: "javascript",
              code: "while (true) {}",
              timeout: 1000,
            });
            const waited = performance.now() - started;
            assert.equal(body.metadata.status, "timeout", JSON.stringify(body));
            // Answered at the deadline plus the kill grace, not after the worker ended.
            assert.ok(waited < 2500, `answered after ${waited} ms`);
            const { instance } = instanceOf(server, "javascript", body.metadata.instance_id);
            assert.ok(instance.demoted);
            assert.equal(instance.host, host);
          } finally {
            for (const hog of hogs) hog.kill("SIGKILL");
            await Promise.all(hogs.map((h) => h.status));
          }
          const { body } = await server.run({
            language: "javascript",
            code: "console.log('after')",
          });
          assert.equal(body.output.stdout, "after\n", JSON.stringify(body));
          const text = await (await fetch(`${server.url}/metrics`)).text();
          assert.ok(!text.includes('faas_instance_recycles_total{language="javascript"'), text);
        },
      );
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "hosts held by demoted runs make room for new keys, not for more of the same",
  ignore: Deno.build.os !== "linux",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // Two JavaScript hosts to start with, room for more.
    const server = await startServer({ FAAS_POOL_SIZE: "4", FAAS_MAX_INSTANCES: "8" });
    const jsHosts = () => server.service.pools.javascript.hosts().length;
    const busy = (ms: number, tag: string) =>
      server.run({
        language: "javascript",
        code: `// ${tag}\nconst end = Date.now() + ${ms};\nwhile (Date.now() < end) {}`,
      });
    try {
      await t.step("a new key waiting behind demoted runs gets a host of its own", async () => {
        assert.equal(jsHosts(), 2);
        // Quiet first: spares still starting keep the cores busy, and then
        // another host would only compete with them.
        const { python, javascript } = server.service.pools;
        for (let i = 0; i < 100 && python.cpuRate() + javascript.cpuRate() > 0.2; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        // Both hosts held by busy loops that keep both cores busy, demoted.
        let busyDone = false;
        const long = Promise.all([busy(4000, "a"), busy(4000, "b")]).then((r) => {
          busyDone = true;
          return r;
        });
        await new Promise((r) => setTimeout(r, 700));
        const { body } = await server.run({ language: "javascript", code: "console.log('new')" });
        assert.equal(body.output.stdout, "new\n", JSON.stringify(body));
        assert.equal(busyDone, false, "the new key waited for a busy run to end");
        assert.equal(jsHosts(), 3);
        for (const { body } of await long) assert.equal(body.metadata.status, "success");
      });
      await t.step("runs of a demoted key waiting for a host start none", async () => {
        // Every host held by runs of one key, demoted; a fourth run of it waits.
        const runs = [0, 1, 2].map(() => busy(1500, "same"));
        await new Promise((r) => setTimeout(r, 500));
        runs.push(busy(1500, "same"));
        await new Promise((r) => setTimeout(r, 700));
        assert.equal(jsHosts(), 3);
        for (const { body } of await Promise.all(runs)) {
          assert.equal(body.metadata.status, "success", JSON.stringify(body));
        }
      });
    } finally {
      await server.close();
    }
  },
});
