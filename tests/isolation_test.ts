/**
 * Within one isolation key the per-run reset is best effort: for ordinary
 * code, what one run changes is gone for the next. The runs here share a
 * tenant (FAAS_ISOLATION=tenant) on one host per runtime, so they share an
 * instance. Across keys nothing is shared at all: see cross_key_test.ts.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

/** A poisoning program and a probe whose ret_val must equal `clean`. */
type Pair = [language: string, poison: string, probe: string, clean: string];

/** Reports what an earlier run of itself left, then leaves the same. */
const SAME_JS = `const tag = (s) => s;
const proto = Object.getPrototypeOf(tag\`x\`);
const seen = [proto.seen ?? null, globalThis.seen ?? null, typeof counter];
proto.seen = 1; globalThis.seen = 1; var counter = 1;
return seen;`;
const SAME_PY = `import sys
r = [getattr(sys, "seen", None), "counter" in globals()]
sys.seen = 1
counter = 1
r`;

const pairs: Record<string, Pair> = {
  "python globals": ["python", "leak = 1", "'leak' in globals()", "false"],
  "python builtins": [
    "python",
    "import builtins\nbuiltins.leak = 1\nbuiltins.len = lambda x: -1",
    "[hasattr(__builtins__, 'leak'), len('ab')]",
    "[false, 2]",
  ],
  "python stdlib function": [
    "python",
    "import json\njson.dumps = lambda *a, **k: 'PATCHED'",
    "import json\njson.dumps([1])",
    "[1]",
  ],
  "python stdlib class attribute": [
    "python",
    "import json.decoder\njson.decoder.JSONDecoder.decode = lambda self, s: 'PATCHED'",
    "import json\njson.loads('[1]')",
    "[1]",
  ],
  "python sys.modules": [
    "python",
    "import sys, types\nsys.modules['evil'] = types.ModuleType('evil')",
    "import sys\n'evil' in sys.modules",
    "false",
  ],
  "python sys.path": [
    "python",
    "import sys\nsys.path.insert(0, '/evil')",
    "import sys\n'/evil' in sys.path",
    "false",
  ],
  "python sys.modules entry removed": [
    "python",
    "import sys\ndel sys.modules['json']",
    "import sys\n'json' in sys.modules",
    "true",
  ],
  "python os.environ store replaced": [
    "python",
    "import os\ndata = dict(os.environ._data)\ndata[b'LEAK'] = b'1'\nos.environ._data = data",
    "import os\nos.environ.get('LEAK', 'clean')",
    "clean",
  ],
  "python os.environ": [
    "python",
    "import os\nos.environ['LEAK'] = '1'",
    "import os\nos.environ.get('LEAK', 'clean')",
    "clean",
  ],
  "python cwd": [
    "python",
    "import os\nos.makedirs('/tmp/elsewhere', exist_ok=True)\nos.chdir('/tmp/elsewhere')",
    "import os\nos.getcwd()",
    "/home/pyodide",
  ],
  "python files in /tmp and home": [
    "python",
    "open('/tmp/leak.txt', 'w').write('x')\nopen('note.txt', 'w').write('x')",
    "import os\n[os.path.exists('/tmp/leak.txt'), os.path.exists('note.txt')]",
    "[false, false]",
  ],
  "python site-packages files": [
    "python",
    "import os, site\np = os.path.join(site.getsitepackages()[0], 'evil_mod.py')\nopen(p, 'w').write('X = 1')",
    "import importlib.util\nimportlib.util.find_spec('evil_mod') is None",
    "true",
  ],
  "python removed stdlib archive": [
    "python",
    "import os\nos.remove('/lib/python314.zip')",
    "import os, calendar, zipfile\n[os.path.getsize('/lib/python314.zip') > 1000000, calendar.isleap(2024)]",
    "[true, true]",
  ],
  "python overwritten stdlib archive": [
    "python",
    "open('/lib/python314.zip', 'wb').write(b'garbage')",
    "import os, calendar, zipfile\n[os.path.getsize('/lib/python314.zip') > 1000000, calendar.isleap(2024)]",
    "[true, true]",
  ],
  "python trace hooks": [
    "python",
    "import sys\nsys.settrace(lambda *a: None)\nsys.setprofile(lambda *a: None)",
    "import sys\n[sys.gettrace() is None, sys.getprofile() is None]",
    "[true, true]",
  ],
  "python recursion limit": [
    "python",
    "import sys\nsys.setrecursionlimit(50)",
    "import sys\nsys.getrecursionlimit() > 50",
    "true",
  ],
  "javascript globals": [
    "javascript",
    "globalThis.leak = 1; var leak2 = 2;",
    "return [typeof leak, typeof leak2]",
    '["undefined","undefined"]',
  ],
  "javascript prototype pollution": [
    "javascript",
    "Object.prototype.polluted = 1; Array.prototype.extra = () => 1;",
    "return [({}).polluted, [].extra]",
    "[null,null]",
  ],
  "javascript patched intrinsics": [
    "javascript",
    "JSON.stringify = () => 'PATCHED'; Array.prototype.map = function () { return 'PATCHED' }; Math.max = () => -1;",
    "return [[1, 2].map((x) => x * 2), Math.max(1, 2)]",
    "[[2,4],2]",
  ],
  "javascript console": [
    "javascript",
    "console.log = () => {};",
    "console.log('seen'); return 'ok'",
    "ok",
  ],
  // The same source twice: the second run reuses the compiled script.
  "javascript cached script": [
    "javascript",
    SAME_JS,
    SAME_JS,
    '[null,null,"undefined"]',
  ],
  "python cached code": ["python", SAME_PY, SAME_PY, "[null, false]"],
  // The reset restores the module dicts a dict watcher saw change; a run
  // that stops the watching makes the next reset restore them all.
  "python unwatched module dict": [
    "python",
    `import json, pyodide_js
m = pyodide_js._module
d = id(json.__dict__)
tag = m.HEAPU32[(d + 16) >> 2]
for i in range(8):
    if tag & (1 << i):
        m._PyDict_Unwatch(i, d)
json.dumps = lambda *a, **k: "PATCHED"`,
    "import json\njson.dumps([1])",
    "[1]",
  ],
  "python cleared dict watcher": [
    "python",
    `import json, pyodide_js
m = pyodide_js._module
tag = m.HEAPU32[(id(json.__dict__) + 16) >> 2]
for i in range(2, 8):
    if tag & (1 << i):
        m._PyDict_ClearWatcher(i)
json.dumps = lambda *a, **k: "PATCHED"`,
    "import json\njson.dumps([1])",
    "[1]",
  ],
  "typescript globals": [
    "typescript",
    "(globalThis as any).leak = 1;",
    "return typeof (globalThis as any).leak",
    "undefined",
  ],
};

Deno.test({
  name: "within one tenant, every run starts clean (best-effort reset)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ISOLATION: "tenant",
    });
    const run = async (language: string, code: string) =>
      (await server.run({ language, code, tenant: "one" })).body;

    for (const [name, [language, poison, probe, clean]] of Object.entries(pairs)) {
      await t.step(`${name} do not carry over`, async () => {
        const instances = new Set<unknown>();
        for (let i = 0; i < 3; i++) {
          const p = await run(language, poison);
          assert.ok(["success", "error"].includes(p.metadata.status), JSON.stringify(p));
          instances.add(p.metadata.instance_id);
        }
        for (let i = 0; i < 3; i++) {
          const body = await run(language, probe);
          instances.add(body.metadata.instance_id);
          assert.equal(body.metadata.status, "success", JSON.stringify(body).slice(0, 400));
          assert.equal(body.output.ret_val, clean);
          // A probe that passed on another instance would prove nothing.
          if (language !== "typescript") assert.equal(instances.size, 1);
        }
      });
    }

    for (const language of ["python", "javascript"]) {
      await t.step(`${language}: random state differs between runs`, async () => {
        const code = language === "python"
          ? "import random\nrandom.seed(1)\nrandom.random()"
          : "return Math.random()";
        const probe = language === "python"
          ? "import random\nrandom.random()"
          : "return Math.random()";
        const seeded = await run(language, code);
        const values = new Set([seeded.output.ret_val]);
        for (let i = 0; i < 3; i++) values.add((await run(language, probe)).output.ret_val);
        assert.equal(values.size, 4, [...values].join(" "));
      });
    }

    await server.close();
  },
});
