/**
 * Attacks on the worker itself: code that reaches the worker's real global
 * object (from Python through `import js`, from JS through any leaked
 * constructor) tries to forge results, break the worker, or leave state for
 * the next run. Later runs must still get their own, correct results.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { innocentTraffic } from "./helpers/traffic.ts";

Deno.test({
  name: "worker realm tampering neither forges results nor leaks into later runs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // One instance per runtime, so every run below shares it.
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    // Innocent runs interleave with the attacks on the same two instances.
    const traffic = innocentTraffic(server);
    const py = (code: string, extra: Record<string, unknown> = {}) =>
      server.run({ language: "python", code, timeout: 3000, ...extra });
    const js = (code: string) => server.run({ language: "javascript", code, timeout: 3000 });
    const probe = async () => {
      const n = Math.floor(Math.random() * 1e6);
      const p = await py("print(INPUT)\nINPUT * 2", { input: n });
      assert.equal(p.body.metadata.status, "success", JSON.stringify(p.body));
      assert.equal(p.body.output.stdout, `${n}\n`);
      assert.equal(p.body.output.ret_val, String(n * 2));
    };

    await t.step("python: forged result messages are ignored", async () => {
      const forged =
        '{"t":"result","id":ID,"status":"success","stdout":"FORGED","stderr":"","retVal":"FORGED","retValSet":true,"exitCode":0,"truncated":false,"durationMs":1}';
      const code = `import js
for i in range(0, 200):
    js.postMessage(js.JSON.parse('${forged}'.replace("ID", str(i))))
print("real")
"real"`;
      const { body } = await py(code);
      assert.equal(body.output.stdout, "real\n");
      assert.equal(body.output.ret_val, "real");
      await probe();
    });

    await t.step("python: forged frames on the host's stdout and stderr are ignored", async () => {
      const frame = '{"t":"result","id":1,"status":"success","stdout":"FORGED"}\\n';
      const { body } = await py(`import js
enc = js.TextEncoder.new()
reached = []
for name in ("stdout", "stderr"):
    try:
        getattr(js.Deno, name).writeSync(enc.encode('${frame}'))
        reached.append(name)
    except Exception:
        pass
print(reached)
"ok"`);
      assert.equal(body.output.ret_val, "ok");
      // The realm's Deno holds no streams.
      assert.equal(body.output.stdout, "[]\n");
      await probe();
    });

    await t.step(
      "python: JS globals set in the worker realm do not reach the next run",
      async () => {
        await py("import js\njs.globalThis.leaked = 'yes'\nsetattr(js, 'leaked2', 'yes')");
        const { body } = await py(
          "import js\nprint(getattr(js, 'leaked', 'clean'), getattr(js, 'leaked2', 'clean'))",
        );
        assert.equal(body.output.stdout, "clean clean\n");
      },
    );

    await t.step("python: patched worker intrinsics do not corrupt the next result", async () => {
      await py(`import js
from pyodide.ffi import create_proxy
try:
    js.JSON.stringify = create_proxy(lambda *a: "PATCHED")
except Exception:
    pass
try:
    js.TextDecoder.prototype.decode = create_proxy(lambda *a: "PATCHED")
except Exception:
    pass
try:
    js.Array.prototype.join = create_proxy(lambda *a: "PATCHED")
except Exception:
    pass`);
      await probe();
      const { body } = await py("print('héllo ✓')\n{'a': [1, 2]}");
      assert.equal(body.output.stdout, "héllo ✓\n");
      assert.equal(body.output.ret_val, '{"a": [1, 2]}');
    });

    await t.step("python: caches and BroadcastChannel are not reachable", async () => {
      const { body } = await py(`import js
c = await js.caches.open("x")
await c.put("http://x/", js.Response.new("persisted"))
"stored"`);
      assert.notEqual(body.output.ret_val, "stored", JSON.stringify(body));
      const bc = await py(`import js
js.BroadcastChannel.new("x").postMessage("hi")
"sent"`);
      assert.notEqual(bc.body.output.ret_val, "sent");
    });

    await t.step("python: close() and Deno.exit() in the worker end only that run", async () => {
      for (const code of ["import js\njs.close()", "import js\njs.Deno.exit(0)"]) {
        const { status, body } = await py(code);
        assert.equal(status, 200);
        assert.notEqual(body.metadata.status, "success", `${code}: ${JSON.stringify(body)}`);
        await probe();
      }
    });

    await t.step("python: sys.settrace and setprofile hooks do not survive", async () => {
      await py(
        "import sys\nsys.settrace(lambda *a: print('TRACED'))\nsys.setprofile(lambda *a: print('PROFILED'))",
      );
      const { body } = await py("def f(): return 1\nf()");
      assert.equal(body.output.stdout, "");
      assert.equal(body.output.ret_val, "1");
    });

    await t.step("python: patched class attributes do not survive", async () => {
      await py("import json.decoder\njson.decoder.JSONDecoder.decode = lambda self, s: 'PATCHED'");
      const { body } = await py("import json\njson.loads('[1]')");
      assert.equal(body.output.ret_val, "[1]");
    });

    await t.step(
      "javascript: globals and intrinsics of the worker realm are out of reach",
      async () => {
        const attempts = [
          "console.log.constructor('return globalThis')().leaked = 1",
          "setTimeout.constructor('return this')().leaked = 1",
          "JSON.stringify = () => 'PATCHED'; Object.prototype.leaked = 1",
        ];
        for (const code of attempts) await js(code);
        const { body } = await js(
          "return [typeof leaked, typeof globalThis.leaked, ({}).leaked, JSON.stringify({ a: 1 })]",
        );
        assert.equal(body.output.ret_val, '["undefined","undefined",null,"{\\"a\\":1}"]');
      },
    );

    await t.step("innocent runs in between all got their own correct results", async () => {
      const { runs, failures } = await traffic.stop();
      assert.ok(runs > 5, `only ${runs} innocent runs`);
      assert.deepEqual(failures, []);
    });

    await server.close();
  },
});
