/**
 * Timeouts in every language: each runaway program is answered with
 * `timeout` within timeout + 1 s, the service keeps serving, and no thread
 * is left spinning afterwards.
 */
import assert from "node:assert/strict";
import { cpuSecondsOf, startServer } from "./helpers/server.ts";

const TIMEOUT = 1000;

const runaways: [string, string, string][] = [
  ["python busy loop", "python", "while True:\n    pass"],
  ["python time.sleep", "python", "import time\ntime.sleep(100)"],
  ["python C-level loop", "python", "sum(range(10**12))"],
  ["python asyncio sleep", "python", "import asyncio\nawait asyncio.sleep(100)"],
  [
    "python loop that swallows the interrupt",
    "python",
    "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
  ],
  ["javascript busy loop", "javascript", "while (true) {}"],
  [
    "javascript loop inside a timer",
    "javascript",
    "setTimeout(() => { while (true) {} }, 0);\nawait new Promise(() => {});",
  ],
  ["javascript never-settling await", "javascript", "await new Promise(() => {});"],
  ["typescript busy loop", "typescript", "let n: number = 0;\nwhile (true) { n++; }"],
];

Deno.test({
  name: "runaway programs time out in time and free the CPU",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "4" });
    // Hosts of this server only: their command line names its socket.
    const hostsOf = `host_main.ts ${server.service.hubPath}`;

    for (const [name, language, code] of runaways) {
      await t.step(`${name} is answered with timeout within timeout + 1 s`, async () => {
        const started = performance.now();
        const { status, body } = await server.run({ language, code, timeout: TIMEOUT });
        const elapsed = performance.now() - started;
        assert.equal(status, 200);
        assert.equal(body.metadata.status, "timeout", JSON.stringify(body).slice(0, 300));
        assert.match(body.error ?? "", /timeout of 1000 ms/);
        assert.ok(elapsed >= TIMEOUT - 50, `answered early: ${elapsed} ms`);
        assert.ok(elapsed < TIMEOUT + 1000, `answered late: ${elapsed} ms`);

        const after = await server.run({
          language,
          code: language === "python" ? "6 * 7" : "return 6 * 7",
        });
        assert.equal(after.body.output.ret_val, "42");
      });
    }

    await t.step("the CPU is back to idle afterwards", async () => {
      // Let replacement hosts finish starting, then watch for spinning.
      await new Promise((r) => setTimeout(r, 4000));
      const before = await cpuSecondsOf(hostsOf);
      await new Promise((r) => setTimeout(r, 2000));
      const used = (await cpuSecondsOf(hostsOf)) - before;
      assert.ok(used < 0.5, `hosts used ${used} CPU seconds in 2 s`);
    });

    await server.close();
  },
});
