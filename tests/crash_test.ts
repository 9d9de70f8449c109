/**
 * Crash containment: a host killed from outside in the middle of a run
 * answers that run with `killed`, is replaced, and /health shows the dip.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "a host killed mid-run is reported and replaced",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "4", FAAS_MAX_INSTANCES: "4" });
    const health = async () => {
      const res = await fetch(`${server.url}/health`);
      return { code: res.status, body: await res.json() };
    };
    const whole = async () => {
      let status = "";
      const deadline = performance.now() + 15000;
      while (performance.now() < deadline) {
        status = (await health()).body.status;
        if (status === "healthy") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return status;
    };
    assert.equal(await whole(), "healthy");

    for (
      const [language, code] of [
        ["python", "import time\ntime.sleep(5)"],
        ["javascript", "await new Promise((r) => setTimeout(r, 5000))"],
      ] as const
    ) {
      await t.step(`${language}: the run gets killed with an error`, async () => {
        const pending = server.run({ language, code, timeout: 10000 });
        const pool = server.service.pools[language];
        let busy;
        for (let i = 0; i < 100 && !busy; i++) {
          await new Promise((r) => setTimeout(r, 20));
          busy = pool.hosts().find((host) => host.state === "busy");
        }
        assert.ok(busy, "a busy host");
        const started = performance.now();
        Deno.kill(busy.pid, "SIGKILL");
        const { status, body } = await pending;
        assert.equal(status, 200);
        assert.equal(body.metadata.status, "killed");
        assert.match(body.error ?? "", /died/);
        assert.ok(performance.now() - started < 1000, "answered promptly");

        const during = await health();
        assert.equal(during.code, 200);
        // A host being replaced still takes runs (they queue for it).
        assert.equal(during.body.status, "healthy");
      });

      await t.step(`${language}: the pool is whole again within seconds`, async () => {
        assert.equal(await whole(), "healthy");
        const { body } = await server.run({
          language,
          code: language === "python" ? "1" : "return 1",
        });
        assert.equal(body.output.ret_val, "1");
      });
    }

    await t.step("metrics count the crash and the replacement", async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /faas_instance_recycles_total\{language="python",reason="crashed"\} 1/);
      assert.match(text, /faas_instance_starts_total\{language="python",reason="replace"\} 1/);
    });

    await server.close();
  },
});
