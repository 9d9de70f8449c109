/**
 * SIGHUP reloads the API keys file without dropping a run; the process
 * keeps serving, and says what it did.
 */
import assert from "node:assert/strict";
import { startServiceProcess } from "./helpers/service_process.ts";

Deno.test({
  name: "SIGHUP reloads the API keys file, drops no run and logs what it did",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "faas-reload-" });
    const file = `${dir}/keys`;
    const [keyA, keyB] = ["key-a-0123456789abcdef", "key-b-0123456789abcdef"];
    await Deno.writeTextFile(file, `${keyA}\n`);
    const service = await startServiceProcess(
      {
        FAAS_POOL_SIZE: "2",
        FAAS_API_KEYS_FILE: file,
        FAAS_LOG_FORMAT: "json",
        FAAS_JOB_STORE: ":memory:",
      },
      undefined,
      { keepLogs: true },
    );
    const { url, child } = service;
    const run = (key: string, code = "1 + 1") =>
      fetch(`${url}/run_code`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ language: "python", code }),
      });
    const status = async (key: string) => {
      const res = await run(key);
      await res.body?.cancel();
      return res.status;
    };
    try {
      await t.step("start-up says in one line where it listens and with what", () => {
        const line = service.logs().split("\n").find((l) => l.includes('"listening"')) ?? "";
        const fields = JSON.parse(line);
        assert.equal(fields.url, url);
        assert.equal(fields.api_keys, 1);
        assert.equal(fields.isolation, "code");
        assert.equal(fields.tenants, "self-asserted");
        assert.equal(typeof fields.memory_limit_mb, "number");
      });

      await t.step("the keys of the file at start are accepted", async () => {
        assert.equal(await status(keyA), 200);
        assert.equal(await status(keyB), 401);
      });

      await t.step("after SIGHUP the new file's keys are; a run in flight finishes", async () => {
        const inFlight = run(keyA, "import time\ntime.sleep(1.5)\n'finished'");
        await new Promise((r) => setTimeout(r, 300));
        await Deno.writeTextFile(file, `${keyB}\n`);
        child.kill("SIGHUP");
        let now = 401;
        for (let i = 0; i < 50 && now !== 200; i++) {
          await new Promise((r) => setTimeout(r, 100));
          now = await status(keyB);
        }
        assert.equal(now, 200);
        assert.equal(await status(keyA), 401);
        const res = await inFlight;
        assert.equal(res.status, 200);
        assert.equal((await res.json()).output.ret_val, "finished");
        assert.match(service.logs(), /SIGHUP: API keys reloaded/);
      });

      await t.step("an emptied file is refused: the current keys stay", async () => {
        await Deno.writeTextFile(file, "# nobody\n");
        child.kill("SIGHUP");
        for (let i = 0; i < 50 && !/the file holds none/.test(service.logs()); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.match(service.logs(), /the file holds none/);
        assert.equal(await status(keyB), 200);
        assert.equal(await status("nobody-at-all-0123"), 401);
      });
    } finally {
      await service.stop("SIGTERM");
      const end = await child.status;
      await Deno.remove(dir, { recursive: true });
      assert.equal(end.code, 0, "the process was still serving and drained on SIGTERM");
    }
  },
});
