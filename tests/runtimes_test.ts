/**
 * GET /runtimes: what it lists is what a run really gets (versions,
 * preloaded modules, JS globals).
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "runtimes lists what runs really get",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    try {
      const res = await fetch(`${server.url}/runtimes`);
      assert.equal(res.status, 200);
      const { runtimes } = await res.json();
      const byLanguage = Object.fromEntries(
        runtimes.map((r: { language: string }) => [r.language, r]),
      );
      assert.deepEqual(Object.keys(byLanguage).sort(), ["javascript", "python", "typescript"]);

      await t.step("python: version, Pyodide version and preloaded modules", async () => {
        const py = byLanguage.python;
        assert.ok(py.aliases.includes("py"));
        const r = await server.run({
          language: "python",
          code: `import sys, json, pyodide
loaded = [m for m in ${JSON.stringify(py.preloaded)} if m in sys.modules]
json.dumps(["%d.%d.%d" % sys.version_info[:3], pyodide.__version__, loaded])`,
        });
        const [version, pyodideVersion, loaded] = JSON.parse(r.body.output.ret_val);
        assert.equal(py.version, version);
        assert.equal(py.engine.pyodide, pyodideVersion);
        assert.ok(py.preloaded.length > 10);
        assert.deepEqual(loaded, py.preloaded);
        assert.deepEqual(py.packages, []);
      });

      await t.step("js and ts: engine versions and every listed global is there", async () => {
        for (const language of ["javascript", "typescript"]) {
          const info = byLanguage[language];
          assert.equal(info.engine.v8, Deno.version.v8);
          assert.equal(info.engine.deno, Deno.version.deno);
          assert.ok(info.globals.includes("URL") && info.globals.includes("structuredClone"));
          const r = await server.run({
            language,
            code: `return ${JSON.stringify(info.globals)}.filter((g) => !(g in globalThis));`,
          });
          assert.equal(r.body.output.ret_val, "[]", `${language}: ${r.body.output.ret_val}`);
        }
        assert.equal(byLanguage.typescript.version, Deno.version.typescript);
        assert.match(byLanguage.typescript.notes, /stripped, not checked/);
      });
    } finally {
      await server.close();
    }
  },
});
