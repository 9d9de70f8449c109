/**
 * Python hosts start from a Pyodide memory snapshot (a private Pyodide API,
 * pinned to 314.0.7). This checks what the service relies on: the snapshot
 * is made, a restored interpreter has the preloaded modules and the prepared
 * harness, captures output, honours interrupts and resets between runs, and
 * a replacement host starts from it too; and that the snapshot cache is
 * used when valid and never when stale or altered.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { startServer, type TestServer } from "./helpers/server.ts";

/** Asserts a server's Python hosts behave like a freshly loaded interpreter. */
async function check(server: TestServer): Promise<void> {
  const { body } = await server.run({
    language: "python",
    code: "import sys\nprint('out')\n['json' in sys.modules, '_faas_harness' in sys.modules]",
  });
  assert.equal(body.output.stdout, "out\n");
  assert.equal(body.output.ret_val, "[true, true]");
  const slept = await server.run({
    language: "python",
    code: "import time\ntime.sleep(30)",
    timeout: 500,
  });
  assert.equal(slept.body.metadata.status, "timeout");
  assert.ok(Number(slept.body.metadata.exit_code) !== 137, "stopped softly, not killed");
  await server.run({ language: "python", code: "leak = 1\nimport os\nos.environ['X'] = '1'" });
  const probe = await server.run({
    language: "python",
    code: "import os\n['leak' in globals(), os.environ.get('X')]",
  });
  assert.equal(probe.body.output.ret_val, "[false, null]");
}

/** How many Python hosts of `server` were started from `snapshot`. */
async function hostsUsing(server: TestServer, snapshot: string): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-eo", "args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) =>
      l.includes("host_main.ts") && l.includes(server.service.hubPath) && l.includes(snapshot)
    ).length;
}

Deno.test({
  name: "python hosts start from a memory snapshot that behaves like a fresh load",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_SNAPSHOT_DIR: "off",
    });
    const snapshot = `${dirname(server.service.hubPath)}/python.snapshot`;
    assert.deepEqual(await server.service.pythonSnapshot, { path: snapshot, cached: false });

    await t.step("the snapshot was written and hosts were given it", async () => {
      assert.ok(Deno.statSync(snapshot).size > 10 * 2 ** 20);
      assert.equal(await hostsUsing(server, snapshot), 1, "the Python host's arguments name it");
    });

    await t.step("an idle restored host has freed the snapshot and the wasm bytes", async () => {
      // Private memory, so the Deno binary's pages shared by every process do
      // not count. Keeping the 30 MB snapshot and Pyodide's 9.6 MB wasm
      // buffer puts it at about 195 MB; freed, it is 139-155 MB (hosts keep
      // up to 8 MiB of freed buffers per allocator arena for their next
      // workers: sandbox/host_command.ts). (Deno asks for --allow-all to
      // read /proc/<pid>/smaps_rollup itself.)
      const [instance] = server.service.pools.python.hosts();
      const out = await new Deno.Command("cat", { args: [`/proc/${instance.pid}/smaps_rollup`] })
        .output();
      const rollup = new TextDecoder().decode(out.stdout);
      const kb = (field: string) =>
        Number(rollup.match(new RegExp(`^${field}:\\s+(\\d+)`, "m"))![1]);
      const privateMb = (kb("Private_Dirty") + kb("Private_Clean")) / 1024;
      assert.ok(
        privateMb < 170,
        `private memory of an idle Python host: ${privateMb.toFixed(0)} MB`,
      );
    });

    await t.step("a restored interpreter runs, interrupts and resets", () => check(server));

    await t.step("hosts restored from one snapshot do not share random state", async () => {
      const two = await startServer({ FAAS_POOL_SIZE: "4", FAAS_MAX_INSTANCES: "4" });
      try {
        // Overlapping runs land on different hosts, each its host's first.
        const code = "import time, random\ntime.sleep(0.3)\nrandom.random()";
        const [a, b] = await Promise.all([
          two.run({ language: "python", code }),
          two.run({ language: "python", code }),
        ]);
        assert.notEqual(a.body.metadata.instance_id, b.body.metadata.instance_id);
        assert.notEqual(a.body.output.ret_val, b.body.output.ret_val);
      } finally {
        await two.close();
      }
    });

    await t.step("a replacement host starts from the snapshot too", async () => {
      const [instance] = server.service.pools.python.hosts();
      Deno.kill(instance.pid, "SIGKILL");
      await instance.exited;
      await check(server);
      const [replacement] = server.service.pools.python.hosts();
      assert.notEqual(replacement.id, instance.id);
    });

    await server.close();
  },
});

const hex = (digest: ArrayBuffer) =>
  Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test({
  name: "python snapshot cache is used when valid and remade when altered",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "faas-snapshot-cache-" });
    const env = { FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2", FAAS_SNAPSHOT_DIR: dir };
    let path = "";
    const digestOf = async (file: string) =>
      hex(await crypto.subtle.digest("SHA-256", await Deno.readFile(file)));
    const recorded = async (file: string) =>
      (await Deno.readTextFile(file.replace(/\.snapshot$/, ".sha256"))).trim();

    await t.step("a first start makes the snapshot and stores it with its digest", async () => {
      const server = await startServer(env);
      try {
        const made = await server.service.pythonSnapshot;
        assert.equal(made.cached, false);
        assert.equal(made.storeError, undefined);
        assert.match(made.cachePath ?? "", new RegExp(`^${dir}/python-[0-9a-f]{32}\\.snapshot$`));
        path = made.cachePath!;
        assert.equal(await recorded(path), await digestOf(path));
        // Hosts read the service's private copy of it.
        assert.equal(made.path, `${dirname(server.service.hubPath)}/python.snapshot`);
        assert.equal(await digestOf(made.path), await digestOf(path));
        assert.equal(await hostsUsing(server, made.path), 1);
        await check(server);
      } finally {
        await server.close();
      }
    });

    await t.step("a second start takes it from the cache and its hosts run from it", async () => {
      const server = await startServer(env);
      try {
        const made = await server.service.pythonSnapshot;
        assert.deepEqual({ ...made, path: "" }, { path: "", cached: true, cachePath: path });
        assert.equal(await digestOf(made.path), await digestOf(path));
        assert.equal(await hostsUsing(server, made.path), 1);
        await check(server);
      } finally {
        await server.close();
      }
    });

    await t.step("an altered snapshot is not used: a new one replaces it", async () => {
      const bytes = await Deno.readFile(path);
      bytes[bytes.length - 1] ^= 0xff;
      await Deno.writeFile(path, bytes);
      const altered = await digestOf(path);
      const server = await startServer(env);
      try {
        assert.equal((await server.service.pythonSnapshot).cachePath, path);
        assert.equal((await server.service.pythonSnapshot).cached, false);
        assert.notEqual(await digestOf(path), altered);
        assert.equal(await recorded(path), await digestOf(path));
        await check(server);
      } finally {
        await server.close();
      }
    });

    await t.step("an unwritable cache falls back to a private snapshot", async () => {
      const file = `${dir}/not-a-dir`;
      await Deno.writeTextFile(file, "");
      const server = await startServer({ ...env, FAAS_SNAPSHOT_DIR: file });
      try {
        const made = await server.service.pythonSnapshot;
        assert.equal(made.path, `${dirname(server.service.hubPath)}/python.snapshot`);
        assert.ok(made.storeError, "the reason it was not cached is reported");
        await check(server);
      } finally {
        await server.close();
      }
    });
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "python keeps serving when its snapshot is removed from the cache or from disk",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "faas-snapshot-gone-" });
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_SNAPSHOT_DIR: dir,
    });
    const replaceHost = async () => {
      const [host] = server.service.pools.python.hosts();
      Deno.kill(host.pid, "SIGKILL");
      await host.exited;
    };
    const runs = async () => {
      const { status, body } = await server.run({
        language: "python",
        code: "print('alive')\n6 * 7",
        timeout: 20_000,
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.output.ret_val, "42");
    };
    try {
      const made = await server.service.pythonSnapshot;

      await t.step("another service emptying the cache changes nothing here", async () => {
        // What a service of another version used to do on its start.
        for (const entry of Deno.readDirSync(dir)) await Deno.remove(`${dir}/${entry.name}`);
        await replaceHost();
        await runs();
        assert.equal(await hostsUsing(server, made.path), 1, "the replacement used the snapshot");
      });

      await t.step("a removed private copy: hosts load Pyodide, then it is back", async () => {
        await Deno.remove(made.path);
        await replaceHost();
        await runs();
        let back = false;
        for (let i = 0; i < 200 && !back; i++) {
          await new Promise((r) => setTimeout(r, 100));
          try {
            back = Deno.statSync(made.path).isFile;
          } catch {
            // Not yet.
          }
        }
        assert.ok(back, "the snapshot was made again");
        await replaceHost();
        await runs();
        assert.equal(await hostsUsing(server, made.path), 1, "later hosts use it again");
      });
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
