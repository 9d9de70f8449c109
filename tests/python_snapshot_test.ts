/**
 * Python hosts start from a Pyodide memory snapshot (a private Pyodide API,
 * pinned to 314.0.7). This checks what the service relies on: the snapshot
 * is made, a restored interpreter has the preloaded modules and the prepared
 * harness, captures output, honours interrupts and resets between runs, and
 * a replacement host starts from it too.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "python hosts start from a memory snapshot that behaves like a fresh load",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    const snapshot = `${dirname(server.service.hubPath)}/python.snapshot`;

    await t.step("the snapshot was written and hosts were given it", async () => {
      assert.ok(Deno.statSync(snapshot).size > 10 * 2 ** 20);
      const out = await new Deno.Command("ps", { args: ["-eo", "args="] }).output();
      const hosts = new TextDecoder().decode(out.stdout).split("\n")
        .filter((l) => l.includes("host_main.ts") && l.includes(snapshot));
      assert.equal(hosts.length, 1, "the Python host's arguments name the snapshot");
    });

    const check = async () => {
      const { body } = await server.run({
        language: "python",
        code: "import sys\nprint('out')\n['json' in sys.modules, '_faas_harness' in sys.modules]",
      });
      assert.equal(body.output.stdout, "out\n");
      assert.equal(body.output.ret_val, "[true, true]");
      const slept = await server.run({
        language: "python",
        code: "import time\ntime.sleep(30)",
        timeout: 500,
      });
      assert.equal(slept.body.metadata.status, "timeout");
      assert.ok(Number(slept.body.metadata.exit_code) !== 137, "stopped softly, not killed");
      await server.run({ language: "python", code: "leak = 1\nimport os\nos.environ['X'] = '1'" });
      const probe = await server.run({
        language: "python",
        code: "import os\n['leak' in globals(), os.environ.get('X')]",
      });
      assert.equal(probe.body.output.ret_val, "[false, null]");
    };

    await t.step("a restored interpreter runs, interrupts and resets", check);

    await t.step("a replacement host starts from the snapshot too", async () => {
      const [instance] = server.service.pools.python.instances();
      Deno.kill(instance.pid, "SIGKILL");
      await instance.exited;
      await check();
      const [replacement] = server.service.pools.python.instances();
      assert.notEqual(replacement.id, instance.id);
    });

    await server.close();
  },
});
