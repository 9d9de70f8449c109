/**
 * A host keeps one copy of the Python snapshot in shared memory, which new
 * instances only read while they restore. An attacker run hunts its realm
 * for any SharedArrayBuffer it can reach and overwrites what it finds; a
 * victim of another key, started from a fresh instance of the same host
 * afterwards, holds a secret; the collector (the attacker's key again)
 * reports what leaked. Nothing is found, and fresh instances after the
 * attack are the same as before it.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

/** Walks what Python can reach of the JS side; overwrites every SharedArrayBuffer found. */
const HUNT = `
import js, sys
found = []
seen = 0
def kind(o):
    try:
        return str(js.Object.prototype.toString.call(o))
    except BaseException:
        return ""
def walk(o, depth):
    global seen
    if depth > 4 or seen > 20000:
        return
    seen += 1
    k = kind(o)
    if k == "[object SharedArrayBuffer]":
        found.append(int(o.byteLength))
        try:
            js.Uint8Array.new(o).fill(65)
        except BaseException:
            pass
        return
    if k in ("[object Object]", "[object Function]", "[object Module]", "[object Array]",
             "[object Window]", "[object DedicatedWorkerGlobalScope]", "[object global]"):
        try:
            keys = js.Reflect.ownKeys(o)
        except BaseException:
            return
        for key in keys:
            try:
                walk(getattr(o, str(key)), depth + 1)
            except BaseException:
                pass
walk(js.globalThis, 0)
for name in ("pyodide_js", "_pyodide_core"):
    mod = sys.modules.get(name)
    if mod is not None:
        walk(mod, 1)
print("found", found)
`;

Deno.test({
  name: "no run reaches the host's shared snapshot copy",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // One Python host: every instance below restores from its one copy.
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    const fresh = "import sys\nprint(len(sys.modules), sys.version, sorted(sys.modules)[:20])";
    const run = async (code: string, input?: unknown) => {
      const { body } = await server.run({ language: "python", code, input, tenant: "x" });
      assert.equal(body.metadata.status, "success", JSON.stringify(body));
      return body.output.stdout as string;
    };
    try {
      const before = await run(`# before\n${fresh}`);
      await t.step(
        "control: the hunt finds a shared buffer the run itself made reachable",
        async () => {
          const planted = "import js\n" +
            "js.globalThis.faasProbe = js.SharedArrayBuffer.new(16)\n" + HUNT;
          assert.match(await run(planted), /^found \[16(, 16)*\]$/m);
        },
      );
      await t.step("the attacker finds no shared buffer to write to", async () => {
        const out = await run(HUNT);
        assert.match(out, /^found \[\]$/m, out);
      });
      await t.step("a victim of another key starts from the same pristine snapshot", async () => {
        const after = await run(`# after\n${fresh}`);
        assert.equal(after, before);
        const victim = await run(
          "import sys\nsecret = INPUT\nprint(secret == 'sesame', len(sys.modules))",
          "sesame",
        );
        assert.match(victim, /^True \d+$/m);
      });
      await t.step("the collector, run again with the attacker's code, finds nothing", async () => {
        assert.match(await run(HUNT), /^found \[\]$/m);
      });
    } finally {
      await server.close();
    }
  },
});
