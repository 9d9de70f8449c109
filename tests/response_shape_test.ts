/**
 * The response's typed return value (`ret_json`), the return-value rules'
 * order, `ignored_fields` and `exception`, in every language, and the
 * `Server-Timing` header.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "responses carry ret_json, ignored_fields and exception details",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_OUTPUT_BYTES: "2048" });
    const run = async (language: string, code: string, extra: Record<string, unknown> = {}) => {
      const r = await server.run({ language, code, ...extra });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as unknown as {
        output: { ret_val: string; ret_json?: unknown; stdout: string };
        metadata: {
          status: string;
          truncated: boolean;
          ignored_fields: string[];
          cpu_ms?: number;
          memory_peak_bytes?: number;
          instance_id?: string;
          exception?: { type: string; message: string };
        };
      };
    };
    try {
      await t.step('ret_json tells 42 from "42" and None from ""', async () => {
        const cases: [string, string, string, unknown][] = [
          ["python", "42", "42", 42],
          ["python", "'42'", "42", "42"],
          ["python", "return_val(None)", "", null],
          ["python", "''", "", ""],
          ["python", "{'a': [1, 2.5, True]}", '{"a": [1, 2.5, true]}', { a: [1, 2.5, true] }],
          ["javascript", "return 42", "42", 42],
          ["javascript", 'return "42"', "42", "42"],
          ["javascript", "return null", "", null],
          ["typescript", "const o: {a: number} = {a: 1}; return o", '{"a":1}', { a: 1 }],
        ];
        for (const [language, code, retVal, json] of cases) {
          const body = await run(language, code);
          assert.equal(body.output.ret_val, retVal, `${language}: ${code}`);
          assert.deepEqual(body.output.ret_json, json, `${language}: ${code}`);
        }
      });

      await t.step("ret_json is absent when nothing is returned or it is not JSON", async () => {
        for (
          const [language, code] of [
            ["python", "x = 1"],
            ["python", "None"],
            ["python", "object()"],
            ["python", "float('nan')"],
            ["javascript", "const x = 1"],
            ["javascript", "return () => 1"],
            ["javascript", "return 10n"],
          ]
        ) {
          const body = await run(language, code);
          assert.ok(!("ret_json" in body.output), `${language}: ${code}`);
        }
      });

      await t.step("the last expression wins over a JSON line printed before it", async () => {
        const py = await run("python", 'import json\nprint(json.dumps({"debug": 1}))\n7');
        assert.equal(py.output.ret_val, "7");
        assert.deepEqual(py.output.ret_json, 7);
        const js = await run("javascript", "console.log(JSON.stringify({debug: 1})); return 7");
        assert.equal(js.output.ret_val, "7");
        // Without a value, the last JSON line is the return value, typed too.
        const line = await run("python", 'import json\nprint(json.dumps({"n": 1}))');
        assert.equal(line.output.ret_val, '{"n": 1}');
        assert.deepEqual(line.output.ret_json, { n: 1 });
      });

      await t.step("a return value too long for ret_json is flagged truncated", async () => {
        const body = await run("python", "['x' * 100] * 30");
        assert.ok(!("ret_json" in body.output));
        assert.equal(body.metadata.truncated, true);
      });

      await t.step("cpu_ms and memory_peak_bytes measure the run", async () => {
        const idle = await run("python", "1");
        // Fixed work, not a wall-clock loop: CPU time does not depend on load.
        const busy = await run("python", "sum(i * i for i in range(2_000_000))");
        assert.ok(idle.metadata.cpu_ms! < 40, `idle ${idle.metadata.cpu_ms}`);
        assert.ok(busy.metadata.cpu_ms! > 80, `busy ${busy.metadata.cpu_ms}`);
        // One snippet, one instance: runs of 0, 80 MiB, 0, 0 report their own
        // memory, not what an earlier run left the instance holding.
        const sized = "x = bytearray(INPUT * 2**20)\nlen(x)";
        const py = [];
        for (const mib of [0, 80, 0, 0]) py.push(await run("python", sized, { input: mib }));
        assert.equal(new Set(py.map((r) => r.metadata.instance_id)).size, 1, "one instance");
        const [pyFirst, pyBig, pyAfter, pyLast] = py.map((r) => r.metadata.memory_peak_bytes!);
        // Most of it new: some may fit in what the instance already held.
        assert.ok(pyBig >= 76 * 2 ** 20, `80 MiB run: ${pyBig}`);
        for (const small of [pyFirst, pyAfter, pyLast]) {
          assert.ok(small < 4 * 2 ** 20, `small runs: ${pyFirst}, ${pyAfter}, ${pyLast}`);
        }
        const grown = "const a = new Array(INPUT * 1e6).fill(1.5); return a.length";
        const js = [];
        for (const m of [0, 3, 0, 0]) js.push(await run("javascript", grown, { input: m }));
        const [jsFirst, jsBig, jsAfter, jsLast] = js.map((r) => r.metadata.memory_peak_bytes!);
        assert.ok(jsBig > 20e6, `3e6 doubles: ${jsBig}`);
        for (const small of [jsFirst, jsAfter, jsLast]) {
          assert.ok(small < 4 * 2 ** 20, `small JS runs: ${jsFirst}, ${jsAfter}, ${jsLast}`);
        }
        const jsSmall = js[0];
        const jsBusy = await run(
          "javascript",
          "let h = 0; for (let i = 0; i < 3e8; i++) h = (h * 31 + i) | 0; return h",
        );
        assert.ok(jsBusy.metadata.cpu_ms! > 80, `js busy ${jsBusy.metadata.cpu_ms}`);
        assert.ok(jsSmall.metadata.cpu_ms! < 40, `js idle ${jsSmall.metadata.cpu_ms}`);
      });

      await t.step("Server-Timing and /metrics say where a run's time went", async () => {
        const res = await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ language: "python", code: "import time\ntime.sleep(0.2)" }),
        });
        await res.json();
        const timing = res.headers.get("server-timing") ?? "";
        const phases = Object.fromEntries(
          timing.split(", ").map((m) => [m.split(";")[0], Number(m.match(/dur=([\d.]+)/)?.[1])]),
        );
        assert.deepEqual(Object.keys(phases), ["parse", "queue", "start", "run", "exec", "reply"]);
        assert.ok(phases.exec >= 200, timing);
        assert.ok(phases.run >= phases.exec, timing);
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        const count = metrics.match(
          /^faas_run_phase_seconds_count\{language="python",phase="exec"\} (\d+)$/m,
        );
        assert.ok(Number(count?.[1]) >= 1, "exec phases counted");
      });

      await t.step("unknown fields are listed in ignored_fields", async () => {
        const body = await run("python", "1", { attachments: [], version: "3.11", tenant: "t" });
        assert.deepEqual(body.metadata.ignored_fields.sort(), ["attachments", "version"]);
        assert.deepEqual((await run("python", "1")).metadata.ignored_fields, []);
      });

      await t.step("errors carry the exception's type and message", async () => {
        const cases: [string, string, string, string][] = [
          ["python", "raise ValueError('bad value')", "ValueError", "bad value"],
          ["python", "1/0", "ZeroDivisionError", "division by zero"],
          ["python", "def f(:\n  pass", "SyntaxError", "invalid syntax"],
          ["javascript", "throw new TypeError('nope')", "TypeError", "nope"],
          ["javascript", "null.x", "TypeError", "Cannot read properties of null (reading 'x')"],
          ["javascript", "let = ;", "SyntaxError", ""],
          ["typescript", "class E extends Error { name = 'E' }; throw new E('mine')", "E", "mine"],
        ];
        for (const [language, code, type, message] of cases) {
          const body = await run(language, code);
          assert.equal(body.metadata.status, "error", code);
          assert.equal(body.metadata.exception?.type, type, code);
          if (message) {
            assert.match(
              body.metadata.exception!.message,
              new RegExp(message.replace(/[()']/g, ".")),
              code,
            );
          }
        }
        const ok = await run("python", "1");
        assert.ok(!("exception" in ok.metadata));
        const exited = await run("python", "import sys\nsys.exit(3)");
        assert.equal(exited.metadata.status, "error");
        assert.ok(!("exception" in exited.metadata));
      });
    } finally {
      await server.close();
    }
  },
});
