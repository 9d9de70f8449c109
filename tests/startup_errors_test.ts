/**
 * Start-up problems end the real service process with one clear line on
 * stderr naming the variable and value, exit code 1, and no stack trace;
 * questionable settings are warned about and the service starts.
 */
import assert from "node:assert/strict";
import { freePort } from "./helpers/ports.ts";

const root = new URL("..", import.meta.url).pathname;

/** Runs main.ts with `env` until it exits or `untilOutput` shows on stderr. */
async function start(
  env: Record<string, string>,
  untilOutput?: RegExp,
): Promise<{ code: number | undefined; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--cached-only", "-A", "main.ts"],
    cwd: root,
    env: { FAAS_HOST: "127.0.0.1", FAAS_POOL_SIZE: "2", FAAS_LOG_FORMAT: "text", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [, status] = await Promise.all([
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        stderr += decoder.decode(value, { stream: true });
        if (untilOutput?.test(stderr)) {
          child.kill("SIGTERM");
        }
      }
    })(),
    child.status,
    child.stdout.cancel(),
  ]);
  clearTimeout(timer);
  return { code: untilOutput ? undefined : status.code, stderr };
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${stderr}`);
  assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/, "no stack trace");
  return lines[0];
}

Deno.test({
  name: "start-up problems are one clear line and exit code 1",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step("a port in use", async () => {
      const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (taken.addr as Deno.NetAddr).port;
      try {
        const r = await start({ FAAS_PORT: String(port) });
        assert.equal(r.code, 1);
        assert.match(
          oneLine(r.stderr),
          new RegExp(
            `^FAAS_PORT=${port} on FAAS_HOST=127\\.0\\.0\\.1 cannot be used: .*in use`,
            "i",
          ),
        );
      } finally {
        taken.close();
      }
    });
    await t.step("a host that cannot be assigned or resolved", async () => {
      for (const host of ["203.0.113.7", "no-such-host.invalid"]) {
        const r = await start({ FAAS_PORT: String(freePort()), FAAS_HOST: host });
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          oneLine(r.stderr),
          new RegExp(`FAAS_HOST=${host.replace(/\./g, "\\.")} cannot be used`),
        );
      }
    });
    await t.step("a job store that cannot be opened", async () => {
      const r = await start({ FAAS_JOB_STORE: "/proc/no/such/dir/jobs.sqlite" });
      assert.equal(r.code, 1);
      assert.match(
        oneLine(r.stderr),
        /^FAAS_JOB_STORE \/proc\/no\/such\/dir\/jobs\.sqlite cannot be opened: /,
      );
    });
    await t.step("numbers are decimal only", async () => {
      const r = await start({ FAAS_POOL_SIZE: "0x10" });
      assert.equal(r.code, 1);
      assert.match(
        oneLine(r.stderr),
        /FAAS_POOL_SIZE must be an integer from 2 to 256, got "0x10"/,
      );
    });
    await t.step("a pool above an explicit maximum names both", async () => {
      const r = await start({ FAAS_POOL_SIZE: "10", FAAS_MAX_INSTANCES: "4" });
      assert.equal(r.code, 1);
      assert.match(
        oneLine(r.stderr),
        /FAAS_MAX_INSTANCES \(4\) must be at least FAAS_POOL_SIZE \(10\)/,
      );
    });
    await t.step("a Pyodide directory missing or incomplete", async () => {
      const dir = Deno.makeTempDirSync();
      Deno.writeTextFileSync(`${dir}/pyodide-lock.json`, "{}");
      for (
        const [value, what] of [[`${dir}/nope`, "pyodide.asm.wasm"], [dir, "python_stdlib.zip"]]
      ) {
        const r = await start({ FAAS_PORT: String(freePort()), FAAS_PYODIDE_DIR: value });
        assert.equal(r.code, 1);
        assert.match(
          oneLine(r.stderr),
          new RegExp(`^FAAS_PYODIDE_DIR ${value} lacks Pyodide's .*${what.replace(".", "\\.")}`),
        );
      }
      Deno.removeSync(dir, { recursive: true });
    });
  },
});

Deno.test({
  name: "unknown FAAS_ variables and a raised maximum are warned about at start",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const r = await start(
      { FAAS_PORT: String(freePort()), FAAS_POOLSIZE: "3", FAAS_POOL_SIZE: "10" },
      /FAAS_MAX_INSTANCES raised/,
    );
    assert.match(
      r.stderr,
      /WARN.*Unknown configuration variables ignored \(typos\?\): FAAS_POOLSIZE/,
    );
    assert.match(
      r.stderr,
      /WARN.*FAAS_MAX_INSTANCES raised from its default 8 to FAAS_POOL_SIZE \(10\)/,
    );
  },
});
