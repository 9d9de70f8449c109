/**
 * Resource faults: memory bombs, CPU burners and floods each get a clean
 * status, while a stream of innocent runs alongside keeps succeeding.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { innocentTraffic } from "./helpers/traffic.ts";

/** Sum of RSS over the host processes whose command line has `pattern`, MiB. */
async function hostsRssMb(pattern: string): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-eo", "rss=,args="] }).output();
  let kb = 0;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (line.includes(pattern)) kb += Number(line.trim().split(/\s+/)[0]);
  }
  return kb / 1024;
}

Deno.test({
  name: "resource faults get a clean status and spare innocent runs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "4",
      FAAS_MAX_INSTANCES: "6",
      FAAS_MEMORY_LIMIT_MB: "256",
      // Every fault below is its own snippet, so its own warm instance:
      // dropped after a second idle, so the memory check sees no cache.
      FAAS_IDLE_TIMEOUT: "1000",
    });
    const hosts = `host_main.ts ${server.service.hubPath}`;
    const idleRss = await hostsRssMb(hosts);
    const traffic = innocentTraffic(server);

    await t.step("python allocation loop stops at the cap, not at 4 GiB", async () => {
      const started = performance.now();
      const { body } = await server.run({
        language: "python",
        code: "xs = []\nwhile True:\n    xs.append(bytearray(1024 * 1024))",
        timeout: 20000,
      });
      assert.ok(
        body.metadata.status === "memory_limit" ||
          (body.metadata.status === "error" && body.output.stderr.includes("MemoryError")),
        JSON.stringify(body).slice(0, 400),
      );
      assert.ok(performance.now() - started < 10000, "stopped quickly");
    });

    await t.step("an instance inflated past half its cap is replaced, not reused", async () => {
      // The same snippet both times, so the same key: only the retirement
      // keeps the second run off the inflated instance.
      const code = "xs = [bytearray(1024 * 1024) for _ in range(INPUT)]\nlen(xs)";
      const first = await server.run({ language: "python", code, input: 180 });
      assert.equal(first.body.output.ret_val, "180");
      const next = await server.run({ language: "python", code, input: 1000 % 7 });
      assert.equal(next.body.metadata.status, "success");
      assert.equal(next.body.output.ret_val, "6");
      assert.notEqual(next.body.metadata.instance_id, first.body.metadata.instance_id);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(
        text,
        /faas_instances_dropped_total\{language="python",reason="retired"\} [1-9]/,
      );
    });

    await t.step("JS heap bomb gets memory_limit and the host is replaced", async () => {
      const { body } = await server.run({
        language: "javascript",
        code: "const xs = []; while (true) xs.push({ a: Math.random(), b: [1, 2, 3] });",
        timeout: 30000,
      });
      assert.equal(body.metadata.status, "memory_limit", JSON.stringify(body).slice(0, 400));
      assert.ok(body.error);
    });

    await t.step("JS typed-array bomb gets memory_limit", async () => {
      const { body } = await server.run({
        language: "javascript",
        code: "const xs = []; while (true) xs.push(new Uint8Array(16 * 1024 * 1024).fill(1));",
        timeout: 30000,
      });
      assert.equal(body.metadata.status, "memory_limit", JSON.stringify(body).slice(0, 400));
    });

    await t.step("deep recursion is an error and the instance stays usable", async () => {
      const py = await server.run({ language: "python", code: "def f(n): return f(n + 1)\nf(0)" });
      assert.equal(py.body.metadata.status, "error");
      assert.match(py.body.output.stderr, /RecursionError/);
      const js = await server.run({ language: "js", code: "const f = (n) => f(n + 1); f(0);" });
      assert.equal(js.body.metadata.status, "error");
      assert.match(js.body.output.stderr, /RangeError/);
      const after = await server.run({ language: "js", code: "return 1" });
      assert.equal(after.body.output.ret_val, "1");
    });

    const cpu: Record<string, [string, string]> = {
      "JS loop after await": ["js", "await null; while (true) {}"],
      "JS loop in a timer": [
        "js",
        "setTimeout(() => { while (true) {} }, 0); await new Promise(() => {});",
      ],
      "JS microtask chain": [
        "js",
        "const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});",
      ],
      "JS Atomics.wait": ["js", "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);"],
      "JS wasm loop": [
        "js",
        // (module (func (export "f") (loop (br 0))))
        "const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,7,5,1,1,102,0,0,10,9,1,7,0,3,64,12,0,11,11]);" +
        "const m = await WebAssembly.instantiate(bytes); m.instance.exports.f();",
      ],
      "JS catastrophic regex": ["js", "return /^(a+)+$/.test('a'.repeat(40) + 'b');"],
      "Python catastrophic regex": ["python", "import re\nre.match(r'^(a+)+$', 'a' * 40 + 'b')"],
      "Python loop in asyncio task": [
        "python",
        "import asyncio\nasync def spin():\n    while True: pass\nawait asyncio.create_task(spin())",
      ],
    };
    for (const [name, [language, code]] of Object.entries(cpu)) {
      await t.step(`${name} times out in time`, async () => {
        const started = performance.now();
        const { body } = await server.run({ language, code, timeout: 1000 });
        const elapsed = performance.now() - started;
        assert.equal(body.metadata.status, "timeout", JSON.stringify(body).slice(0, 300));
        assert.ok(elapsed < 2000 + 500, `answered after ${elapsed} ms`);
      });
    }

    await t.step("stdout flood is capped with truncated", async () => {
      const py = await server.run({
        language: "python",
        code: "while True: print('x' * 10000)",
        timeout: 1000,
      });
      assert.equal(py.body.metadata.status, "timeout");
      assert.equal(py.body.metadata.truncated, true);
      assert.ok(py.body.output.stdout.length <= server.config.maxOutputBytes);
      const js = await server.run({
        language: "js",
        code: "console.log('y'.repeat(50 * 1024 * 1024)); return 1",
      });
      assert.equal(js.body.metadata.truncated, true);
      assert.ok(js.body.output.stdout.length <= server.config.maxOutputBytes);
    });

    await t.step("millions of promises and timers end with a clear status", async () => {
      const promises = await server.run({
        language: "js",
        code: "const ps = []; for (let i = 0; i < 3e6; i++) ps.push(new Promise((r) => r(i))); " +
          "return (await Promise.all(ps)).length",
        timeout: 10000,
      });
      assert.ok(["success", "memory_limit", "timeout"].includes(promises.body.metadata.status));
      const timers = await server.run({
        language: "js",
        code: "for (let i = 0; i < 1e6; i++) setTimeout(() => {}, 100000); return 'armed'",
        timeout: 10000,
      });
      assert.ok(["success", "memory_limit", "timeout"].includes(timers.body.metadata.status));
    });

    await t.step("innocent runs alongside all succeeded", async () => {
      const { runs, failures } = await traffic.stop();
      assert.ok(runs > 20, `only ${runs} innocent runs`);
      assert.deepEqual(failures, []);
    });

    await t.step("host memory returns to its idle level", async () => {
      // Replaced hosts need a moment to start and settle.
      await new Promise((r) => setTimeout(r, 3000));
      const rss = await hostsRssMb(hosts);
      assert.ok(rss < idleRss * 1.5 + 100, `idle ${idleRss} MiB, now ${rss} MiB`);
    });

    await server.close();
  },
});
