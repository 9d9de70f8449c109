/**
 * A Python instance restored from the snapshot reads the standard
 * library's zip only when an import needs it: most runs import only
 * preloaded modules, and each instance would otherwise hold its own 2.5 MB
 * copy. Imports that need it still work, and a run that writes to it
 * changes neither the next run nor another key's instance.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

// What the run sees of the zip's node: whether its bytes were read, and
// the size it reports, through Pyodide's own JS filesystem.
const PROBE = `
import os, sys, pyodide_js, js
zip_path = [p for p in sys.path if p.endswith(".zip")][0]
node = pyodide_js.FS.lookupPath(zip_path).node
def read_yet():
    return js.Reflect.has(js.Object.getOwnPropertyDescriptor(node, "contents"), "value")
`;

Deno.test({
  name: "the standard library's zip is read when an import first needs it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer();
    try {
      await t.step("a run of preloaded modules leaves it unread", async () => {
        const { body } = await server.run({
          language: "python",
          code:
            `${PROBE}\nimport json, re\nprint(read_yet(), os.stat(zip_path).st_size > 1_000_000)`,
        });
        assert.equal(body.metadata.status, "success", JSON.stringify(body));
        assert.equal(body.output.stdout, "False True\n");
      });
      await t.step("an import from it reads it, and works", async () => {
        const { body } = await server.run({
          language: "python",
          code: `${PROBE}\nassert "colorsys" not in sys.modules\nbefore = read_yet()\n` +
            "import colorsys\nprint(before, read_yet(), colorsys.rgb_to_hsv(1, 0, 0))",
        });
        assert.equal(body.metadata.status, "success", JSON.stringify(body));
        assert.equal(body.output.stdout, "False True (0.0, 1.0, 1)\n");
      });
      await t.step("a run that overwrites it leaves later runs and keys intact", async () => {
        // One snippet, so that the attacker's second run lands on the same
        // instance (its key is the code); INPUT says whether to attack.
        const code = `${PROBE}\nif INPUT == "attack":\n` +
          `    with open(zip_path, "r+b") as f:\n        f.write(bytes(os.stat(zip_path).st_size))\n` +
          "head = open(zip_path, 'rb').read(2)\n" +
          "import calendar\nprint(head, calendar.isleap(2024))";
        const attack = await server.run({ language: "python", code, input: "attack", tenant: "a" });
        assert.equal(attack.body.metadata.status, "error", JSON.stringify(attack.body));
        assert.equal(attack.body.output.stdout, "");
        assert.match(attack.body.output.stderr, /ZipImportError/);
        const again = await server.run({ language: "python", code, tenant: "a" });
        assert.equal(again.body.metadata.instance_id, attack.body.metadata.instance_id);
        assert.equal(again.body.output.stdout, "b'PK' True\n", JSON.stringify(again.body));
        const victim = await server.run({ language: "python", code, tenant: "b" });
        assert.equal(victim.body.output.stdout, "b'PK' True\n", JSON.stringify(victim.body));
      });
    } finally {
      await server.close();
    }
  },
});
