/**
 * Python packages from a directory of wheels built by the test: importable
 * in every run and isolation mode, preloaded into the snapshot, listed by
 * /runtimes, never shared across keys; bad directories stop start-up.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import { testPackagesDir } from "./helpers/wheels.ts";

const USE = `import sys, importlib.metadata
preloaded = "alpha" in sys.modules and "beta" in sys.modules
import alpha, beta, gamma, gamma_extra
[preloaded, alpha.answer(), beta.COUNTER, gamma.words(), gamma_extra.EXTRA,
 importlib.metadata.version("alpha"), INPUT]`;

async function use(server: TestServer, extra: Record<string, unknown> = {}) {
  const r = await server.run({ language: "python", code: USE, input: 1, ...extra });
  assert.equal(r.body.metadata.status, "success", JSON.stringify(r.body).slice(0, 500));
  return r.body.output.ret_val;
}
const EXPECTED = `[true, 42, 0, "lorem ipsum\\n", "extra", "1.0", 1]`;

Deno.test({
  name: "python packages from a wheel directory are preloaded and kept apart per key",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = testPackagesDir();
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_PYTHON_PACKAGES_DIR: dir,
      FAAS_PYTHON_PACKAGES: "alpha, gamma",
      FAAS_PYTHON_PRELOAD: "alpha",
    };
    try {
      for (const mode of ["code", "tenant", "run"]) {
        const server = await startServer({ ...env, FAAS_ISOLATION: mode });
        try {
          await t.step(`${mode} mode: every run imports them, alpha preloaded`, async () => {
            for (let i = 0; i < 3; i++) {
              assert.equal(await use(server, { tenant: `t${i}` }), EXPECTED);
            }
          });
          if (mode !== "code") continue;

          await t.step("GET /runtimes lists the packages and the preload", async () => {
            const { runtimes } = await (await fetch(`${server.url}/runtimes`)).json();
            const py = runtimes.find((r: { language: string }) => r.language === "python");
            assert.deepEqual(py.packages, [
              { name: "alpha", version: "1.0" },
              { name: "beta", version: "1.2" },
              { name: "gamma", version: "0.1" },
            ]);
            assert.equal(py.preloaded.at(-1), "alpha");
          });

          await t.step("package state changed by one key is not seen by another", async () => {
            const attack = `import alpha, beta, gamma
alpha.VALUE = 999
beta.COUNTER += 1
alpha.helper = lambda x: "HIJACKED"
[alpha.answer(), beta.COUNTER]`;
            const a = await server.run({ language: "python", code: attack, tenant: "attacker" });
            assert.equal(a.body.output.ret_val, '["HIJACKED", 1]');
            assert.equal(await use(server, { tenant: "victim" }), EXPECTED);
            // The same key again: the best-effort reset restored the modules too.
            const again = await server.run({
              language: "python",
              code: attack,
              tenant: "attacker",
            });
            assert.equal(again.body.output.ret_val, '["HIJACKED", 1]');
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
  name: "deno task snapshot bakes the packages into the cached snapshot the service uses",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = testPackagesDir();
    const cache = Deno.makeTempDirSync({ prefix: "faas-snapshots-" });
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_PYTHON_PACKAGES_DIR: dir,
      FAAS_PYTHON_PACKAGES: "alpha",
      FAAS_PYTHON_PRELOAD: "alpha",
      FAAS_SNAPSHOT_DIR: cache,
    };
    try {
      // The Dockerfile's command, with the packages in the environment.
      const task = await new Deno.Command(Deno.execPath(), {
        args: ["task", "snapshot"],
        cwd: new URL("..", import.meta.url).pathname,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(task.stdout);
      assert.equal(task.code, 0, new TextDecoder().decode(task.stderr));
      assert.match(out, /Snapshot made/);
      const server = await startServer(env);
      try {
        assert.equal((await server.service.pythonSnapshot).cached, true);
        const r = await server.run({
          language: "python",
          code: 'import sys\n["alpha" in sys.modules, __import__("alpha").answer()]',
        });
        assert.equal(r.body.output.ret_val, "[true, 42]");
      } finally {
        await server.close();
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
      Deno.removeSync(cache, { recursive: true });
    }
  },
});

/** Runs main.ts with `env`; resolves with its exit code and stderr once it exits. */
async function startMain(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--cached-only",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
    ],
    env: { FAAS_HOST: "127.0.0.1", FAAS_PORT: "0", FAAS_POOL_SIZE: "2", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const { code, stderr } = await child.output();
  clearTimeout(timer);
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test({
  name: "bad python packages stop start-up with a message naming them",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = testPackagesDir();
    try {
      await t.step("a missing package", async () => {
        const r = await startMain({ FAAS_PYTHON_PACKAGES_DIR: dir, FAAS_PYTHON_PACKAGES: "numpy" });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /Python package "numpy" is not in/);
      });
      await t.step("a directory that does not exist", async () => {
        const r = await startMain({
          FAAS_PYTHON_PACKAGES_DIR: `${dir}/nope`,
          FAAS_PYTHON_PACKAGES: "alpha",
        });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /FAAS_PYTHON_PACKAGES_DIR .*nope cannot be read/);
      });
      await t.step("a preloaded module that cannot be imported", async () => {
        const r = await startMain({
          FAAS_PYTHON_PACKAGES_DIR: dir,
          FAAS_PYTHON_PACKAGES: "alpha",
          FAAS_PYTHON_PRELOAD: "alpha,gamma",
          FAAS_SNAPSHOT_DIR: "off",
        });
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /FAAS_PYTHON_PRELOAD: module \\?"gamma\\?" cannot be imported: ModuleNotFoundError/,
        );
      });
      await t.step("an invalid name in the configuration", async () => {
        const r = await startMain({ FAAS_PYTHON_PRELOAD: "not a-module" });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /FAAS_PYTHON_PRELOAD holds an invalid name "a-module"/);
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
