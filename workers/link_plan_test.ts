import assert from "node:assert/strict";
import { thunkModuleBytes } from "./link_plan.ts";
import { PlannedTableMap } from "./planned_table_map.ts";
import { patchGlue } from "./glue_link_patch.ts";
import { loadFromSnapshot, nonZeroRanges, snapshotMemory } from "./pyodide_fast_load.ts";
import { loadInterpreter } from "./python_load.ts";
import { checkLinkPlan } from "../python/link_plan_check.ts";
import { makePythonSnapshot } from "../python/python_snapshot.ts";
import { PYODIDE_FILES, resolvePyodideDir } from "../protocol/pyodide_files.ts";
import type { InitMessage } from "./worker_common.ts";
import { decodeLinkRecord, encodeLinkRecord } from "../protocol/link_plan_file.ts";
import { loadLinkPlan } from "../host/host_link_plan.ts";

/** Functions of a fresh thunk module, wasm functions named "0", "1", ... */
function thunks(sigs: string[], fns: ((...a: never[]) => unknown)[]) {
  const imports: WebAssembly.ModuleImports = {};
  fns.forEach((f, k) => imports[`f${k}`] = f as (...a: unknown[]) => unknown);
  const module = new WebAssembly.Module(thunkModuleBytes(sigs));
  return new WebAssembly.Instance(module, { e: imports }).exports as Record<
    string,
    (...a: unknown[]) => unknown
  >;
}

Deno.test("thunkModuleBytes wraps JS functions with Emscripten's signatures", () => {
  const seen: unknown[] = [];
  const wrapped = thunks(["iii", "vjd", "fp"], [
    (a: number, b: number) => a + b,
    (a: bigint, b: number) => void seen.push(a, b),
    (p: number) => p / 2,
  ]);
  assert.equal(wrapped.f0(2, 3), 5);
  assert.equal(wrapped.f0(2 ** 31, 0), -(2 ** 31));
  assert.equal(wrapped.f1(5n, 1.5), undefined);
  assert.deepEqual(seen, [5n, 1.5]);
  assert.equal(wrapped.f2(3), 1.5);
  // Wasm functions, so a table takes them.
  const table = new WebAssembly.Table({ element: "anyfunc", initial: 1 });
  table.set(0, wrapped.f0 as () => void);
  assert.equal(table.get(0), wrapped.f0);
  assert.throws(() => thunkModuleBytes(["ix"]), /Unknown signature letter/);
});

Deno.test("PlannedTableMap answers from the plan and keeps later changes", () => {
  const mine = thunks(["i", "i", "i"], [() => 0, () => 1, () => 2]);
  const foreign = thunks(["i"], [() => 9]);
  const table = new WebAssembly.Table({ element: "anyfunc", initial: 6 });
  table.set(1, mine.f0 as () => void);
  table.set(2, mine.f1 as () => void);
  table.set(4, mine.f2 as () => void);
  const js = () => 7;
  // Function 2 is recorded at slot 4; function 1 is not in the stock map.
  const map = new PlannedTableMap(table, Int32Array.from([1, 0, 4]), new Map([[js, 5]]));
  assert.equal(map.get(mine.f0), 1);
  assert.equal(map.get(mine.f1), undefined);
  assert.equal(map.get(mine.f2), 4);
  assert.equal(map.get(js), 5);
  // Another module's function 0 is not this module's.
  assert.equal(map.get(foreign.f0), undefined);
  assert.equal(map.get(undefined), undefined);
  map.set(foreign.f0, 3);
  assert.equal(map.get(foreign.f0), 3);
  assert.equal(map.delete(mine.f2), true);
  assert.equal(map.get(mine.f2), undefined);
  assert.equal(map.delete(mine.f2), false);
});

Deno.test("patchGlue refuses a glue it was not written for", () => {
  assert.throws(() => patchGlue("var x=1;"), /anchor not found/);
});

const pyodideDir = resolvePyodideDir(undefined);

/** What a planned and a stock instance must answer alike (the last ones load symbols). */
const SNIPPETS = [
  "import json; json.dumps({'a': [1, 2.5, None]}, sort_keys=True)",
  "import decimal; str(decimal.Decimal(2).sqrt())",
  "import hashlib; hashlib.md5(b'abc').hexdigest() + hashlib.sha1(b'abc').hexdigest()",
  "import zlib; zlib.crc32(zlib.decompress(zlib.compress(b'x' * 999)))",
  "import traceback\ntry:\n  1/0\nexcept Exception as e:\n  r = ''.join(traceback.format_exception_only(e))\nr",
  "open('/tmp/f.txt', 'w').write('hi'); open('/tmp/f.txt').read()",
  "import sqlite3; sqlite3.connect(':memory:').execute('select 6*7, sqlite_version()').fetchone()",
  "import js; js.Math.max(3, 9)",
  "import ctypes; ctypes.CDLL(None).strlen(b'hello')",
  "import ctypes\n" +
  "a = (ctypes.c_int * 5)(5, 1, 4, 2, 3)\n" +
  "F = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))\n" +
  "ctypes.CDLL(None).qsort(a, 5, 4, F(lambda x, y: x[0] - y[0]))\nlist(a)",
  "import ctypes; libc = ctypes.CDLL(None); " +
  "[ctypes.cast(getattr(libc, n), ctypes.c_void_p).value for n in ('malloc', 'free', 'strlen')]",
];

/** What every test below shares: the compiled module, a snapshot and the patched glue. */
async function fixture() {
  const wasmModule = await WebAssembly.compile(
    await Deno.readFile(`${pyodideDir}/pyodide.asm.wasm`),
  );
  const snapshot = await makePythonSnapshot(pyodideDir, 512 * 2 ** 20);
  const dir = await Deno.makeTempDir();
  const gluePath = `${dir}/pyodide.asm.linked.mjs`;
  await Deno.writeTextFile(
    gluePath,
    patchGlue(await Deno.readTextFile(`${pyodideDir}/pyodide.asm.mjs`)),
  );
  const readable = PYODIDE_FILES.map((f) => Deno.realPathSync(`${pyodideDir}/${f}`));
  return { wasmModule, snapshot, dir, gluePath, readable };
}

/** How many GOT entries an instance has: ~280 linked by plan, ~8.5k by the stock linker. */
function gotEntries(pyodide: unknown): number {
  const module = (pyodide as { _module: { GOT: Record<string, unknown> } })._module;
  return Object.keys(module.GOT).length;
}

Deno.test({
  name: "a link plan is checked, used when it matches, and a mismatch falls back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { wasmModule, snapshot, dir, gluePath, readable } = await fixture();
    try {
      // The unpatched glue never applies a plan: the check says no.
      const unpatched = await checkLinkPlan({
        pyodideDir,
        wasmModule,
        gluePath: `${pyodideDir}/pyodide.asm.mjs`,
        readable,
      });
      assert.equal(unpatched, undefined);
      assert.equal(
        await checkLinkPlan({ pyodideDir, wasmModule, gluePath: `${dir}/missing.mjs`, readable }),
        undefined,
      );

      const checked = await checkLinkPlan({ pyodideDir, wasmModule, gluePath, readable });
      assert.ok(checked, "the plan reproduces the stock link");
      const { plan } = checked;
      assert.ok(plan.slots.length > 1000 && plan.thunks.length > 0 && plan.gotNames.length > 0);

      // As the server hands it to hosts: a file, checked against the host's module.
      const planPath = `${dir}/plan.json`;
      await Deno.writeTextFile(planPath, encodeLinkRecord(plan));
      const loaded = loadLinkPlan(planPath, gluePath, wasmModule);
      assert.deepEqual(loaded?.plan.slots, plan.slots);
      assert.deepEqual(loaded?.plan.gotValues, plan.gotValues);
      const other = new WebAssembly.Module(thunkModuleBytes(["v"]));
      assert.equal(loadLinkPlan(planPath, gluePath, other), undefined);
      await Deno.writeTextFile(
        planPath,
        encodeLinkRecord(plan).replace('"slots":[', '"slots":[1e9,'),
      );
      assert.throws(() => decodeLinkRecord(Deno.readTextFileSync(planPath)), /slot/);
      assert.equal(loadLinkPlan(planPath, gluePath, wasmModule), undefined);

      const memory = snapshotMemory(snapshot)!;
      const ranges = nonZeroRanges(memory);
      const planned = await loadFromSnapshot({
        indexURL: pyodideDir,
        snapshot,
        ranges,
        wasmModule,
        linkPlan: plan,
        gluePath: checked.gluePath,
      });
      // Linked by the plan: only the main module's GOT imports have entries.
      assert.equal(gotEntries(planned), plan.gotNames.length);
      assert.equal(
        planned.runPython(
          "import json, decimal, hashlib, zlib\n" +
            "json.dumps([str(decimal.Decimal(1) / 7), hashlib.sha256(b'x').hexdigest()[:8], " +
            "len(zlib.compress(b'a' * 100))])",
        ),
        '["0.1428571428571428571428571429", "2d711642", 12]',
      );

      // A plan that does not fit the module: the fast restore fails and the
      // worker's loader falls back to the stock load.
      const wrong = { ...plan, tableBase: plan.tableBase + 1 };
      await assert.rejects(
        loadFromSnapshot({
          indexURL: pyodideDir,
          snapshot,
          ranges,
          wasmModule,
          linkPlan: wrong,
          gluePath: checked.gluePath,
        }),
        /does not match the link plan/,
      );
      const init = {
        indexURL: pyodideDir,
        snapshot: snapshot.slice(),
        snapshotRanges: ranges,
        wasmModule,
        fastLoad: true,
        linkPlan: wrong,
        gluePath: checked.gluePath,
      } as unknown as InitMessage;
      const errors: string[] = [];
      const consoleError = console.error;
      console.error = (...args: unknown[]) => void errors.push(args.join(" "));
      let fallback;
      try {
        fallback = await loadInterpreter(init);
      } finally {
        console.error = consoleError;
      }
      assert.ok(errors.some((e) => e.includes("Fast Pyodide restore failed")), errors.join("\n"));
      assert.ok(gotEntries(fallback) > 5 * plan.gotNames.length, "linked the stock way");
      assert.equal(fallback.runPython("sum(range(10))"), 45);

      // Both instances give the same answers, down to function pointers,
      // also once ctypes makes the planned one finish its deferred link.
      for (const code of SNIPPETS) {
        assert.equal(String(planned.runPython(code)), String(fallback.runPython(code)), code);
      }
      assert.ok(gotEntries(planned) > 5 * plan.gotNames.length, "the deferred link ran");
      assert.equal(gotEntries(planned), gotEntries(fallback));
      const tableLength = (p: unknown) =>
        (p as { _module: { wasmTable: WebAssembly.Table } })._module.wasmTable.length;
      assert.equal(tableLength(planned), tableLength(fallback));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
