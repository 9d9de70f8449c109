/**
 * Compiled Python packages (wheels with WebAssembly extension modules, and
 * the shared libraries of Pyodide's distribution), made by the test: each
 * instance installs them at start, after the snapshot; runs import them in
 * every isolation mode, again and again; their state never crosses keys;
 * one that cannot be imported stops start-up.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import {
  EXT_SUFFIX,
  extensionModule,
  NATIVE_TAGS,
  nativeDistributionDir,
  nativePackagesDir,
} from "./helpers/side_modules.ts";
import { writeWheel } from "./helpers/wheels.ts";
import { PackageError, preparePythonPackages } from "../python/python_packages.ts";
import { preparePythonSnapshot } from "../python/python_snapshot.ts";
import { resolvePyodideDir } from "../protocol/pyodide_files.ts";

const USE = `import sys
preloaded = "calc" in sys.modules and "fastmath" in sys.modules
import calc, fastmath
[preloaded, calc.quadruple(5), fastmath.double(21), fastmath.__file__]`;
const EXPECTED = `[true, 20, 42, "/lib/python3.14/site-packages/fastmath${EXT_SUFFIX}"]`;

async function use(server: TestServer, code: string, tenant: string) {
  const r = await server.run({ language: "python", code, tenant });
  assert.equal(r.body.metadata.status, "success", JSON.stringify(r.body).slice(0, 600));
  return r.body.output.ret_val;
}

Deno.test({
  name: "compiled python packages work in every run and isolation mode, kept apart per key",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = nativePackagesDir();
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_PYTHON_PACKAGES_DIR: dir,
      FAAS_PYTHON_PACKAGES: "calc, deep, nested",
      // deep is preloaded, nested is not: a run imports each one's compiled submodule.
      FAAS_PYTHON_PRELOAD: "calc, deep",
    };
    try {
      for (const mode of ["code", "tenant", "run"]) {
        const server = await startServer({ ...env, FAAS_ISOLATION: mode });
        try {
          await t.step(`${mode} mode: every run calls the compiled code`, async () => {
            // The same key twice: a compiled module survives the reset between runs.
            for (const tenant of ["t0", "t1", "t1", "t2"]) {
              assert.equal(await use(server, USE, tenant), EXPECTED);
            }
          });
          if (mode !== "tenant") continue;

          await t.step(
            "a compiled submodule a run imported is there in the key's next run",
            async () => {
              // Changing the packages makes the reset restore their dicts every time.
              const code = "import deep._speed, nested._speed\ndeep.seen = nested.seen = 1\n" +
                "[deep._speed.triple(4), nested._speed.triple(5)]";
              for (let i = 0; i < 3; i++) {
                assert.equal(await use(server, code, "deep"), "[12, 15]");
              }
            },
          );

          await t.step("GET /runtimes lists both packages and the preload", async () => {
            const { runtimes } = await (await fetch(`${server.url}/runtimes`)).json();
            const py = runtimes.find((r: { language: string }) => r.language === "python");
            assert.deepEqual(py.packages, [
              { name: "calc", version: "1.0" },
              { name: "deep", version: "1.0" },
              { name: "fastmath", version: "1.0" },
              { name: "nested", version: "1.0" },
            ]);
            assert.deepEqual(py.preloaded.slice(-2), ["calc", "deep"]);
          });

          await t.step("a compiled module changed by one key is not seen by another", async () => {
            const attack = `import calc, fastmath
fastmath.secret = "s3cr3t"
fastmath.double = lambda x: "HIJACKED"
[calc.quadruple(1), fastmath.secret]`;
            assert.equal(await use(server, attack, "attacker"), '["HIJACKED", "s3cr3t"]');
            const look = `import fastmath\n[getattr(fastmath, "secret", None), fastmath.double(2)]`;
            assert.equal(await use(server, look, "victim"), "[null, 4]");
            assert.equal(await use(server, USE, "victim"), EXPECTED);
          });
        } finally {
          await server.close();
        }
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a Pyodide distribution's shared library and compiled wheel install together",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await nativeDistributionDir();
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_PYTHON_PACKAGES_DIR: dir,
      FAAS_PYTHON_PACKAGES: "scaled",
    });
    try {
      for (const tenant of ["a", "b", "a"]) {
        assert.equal(await use(server, "import scaled\nscaled.triple(7)", tenant), "21");
      }
      const { runtimes } = await (await fetch(`${server.url}/runtimes`)).json();
      const py = runtimes.find((r: { language: string }) => r.language === "python");
      assert.deepEqual(py.packages.map((p: { name: string }) => p.name), ["libfaasmul", "scaled"]);
    } finally {
      await server.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("a compiled module that cannot be imported stops start-up", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "faas-native-broken-" });
  const work = Deno.makeTempDirSync({ prefix: "faas-native-work-" });
  writeWheel(dir, {
    name: "broken",
    version: "1.0",
    tags: NATIVE_TAGS,
    files: {
      [`broken${EXT_SUFFIX}`]: extensionModule({
        module: "broken",
        fn: "f",
        factor: 1,
        failInit: true,
      }),
    },
  });
  try {
    const pyodideDir = resolvePyodideDir(undefined);
    const packages = await preparePythonPackages({
      dir,
      names: ["broken"],
      preload: [],
      pyodideDir,
    });
    await assert.rejects(
      preparePythonSnapshot({
        pyodideDir,
        workDir: work,
        memoryLimitBytes: 512 * 2 ** 20,
        packages,
      }),
      (err: unknown) =>
        err instanceof PackageError &&
        /Compiled Python module "broken" cannot be imported: SystemError/.test(err.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(work, { recursive: true });
  }
});
