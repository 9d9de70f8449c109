/**
 * Pool sizing through the API: hosts grow on demand up to the cap and
 * shrink after idle time; an instance is dropped after FAAS_MAX_RUNS runs
 * of its key without failing a run; a spare taken by a new key is replaced
 * once its run is over.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";

async function metrics(server: TestServer): Promise<string> {
  return await (await fetch(`${server.url}/metrics`)).text();
}

Deno.test({
  name: "pools grow on demand, shrink when idle and recycle after their run limit",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "3",
      FAAS_IDLE_TIMEOUT: "1000",
      FAAS_MAX_RUNS: "4",
    });

    await t.step(
      "a spare taken by a new key is replaced after its run, not beside it",
      async () => {
        const health = async () =>
          (await (await fetch(`${server.url}/health`)).json()).pools.python;
        for (let i = 0; i < 100 && (await health()).instances.starting > 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        const sparesBefore = (await health()).instances.spare;
        assert.ok(sparesBefore >= 1, "a spare is ready");
        const running = server.run({ language: "python", code: "import time\ntime.sleep(0.6)\n1" });
        let startingDuringRun = 0;
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 80));
          startingDuringRun = Math.max(startingDuringRun, (await health()).instances.starting);
        }
        const { body } = await running;
        assert.equal(body.metadata.instance_source, "spare");
        assert.equal(startingDuringRun, 0, "no instance started while the run ran");
        let after = await health();
        for (let i = 0; i < 100 && after.instances.spare < sparesBefore; i++) {
          await new Promise((r) => setTimeout(r, 50));
          after = await health();
        }
        assert.equal(after.instances.spare, sparesBefore, "the spare was replaced after the run");
      },
    );

    await t.step("drops an instance after its run limit; no run fails", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        // One snippet, so one isolation key: the runs share instances.
        const { body } = await server.run({ language: "js", code: "return INPUT", input: i });
        assert.equal(body.metadata.status, "success", JSON.stringify(body));
        assert.equal(body.output.ret_val, String(i));
        ids.push(String(body.metadata.instance_id));
      }
      const perInstance = new Map<string, number>();
      for (const id of ids) perInstance.set(id, (perInstance.get(id) ?? 0) + 1);
      assert.ok(perInstance.size >= 3, `instances used: ${[...perInstance.keys()]}`);
      assert.ok([...perInstance.values()].every((n) => n <= 4), JSON.stringify([...perInstance]));
      assert.match(
        await metrics(server),
        /faas_instances_dropped_total\{language="javascript",reason="run_limit"\} [2-9]/,
      );
    });

    await t.step("grows to the instance cap when runs queue", async () => {
      const runs = Array.from(
        { length: 3 },
        () => server.run({ language: "python", code: "import time\ntime.sleep(2)\n1" }),
      );
      let peak = 0;
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const h = await (await fetch(`${server.url}/health`)).json();
        peak = Math.max(peak, h.pools.python.total);
      }
      for (const { body } of await Promise.all(runs)) assert.equal(body.output.ret_val, "1");
      assert.equal(peak, 2, "python grew by one, to the cap of 3 with the JS instance");
      assert.match(
        await metrics(server),
        /faas_instance_starts_total\{language="python",reason="demand"\} 1/,
      );
    });

    await t.step("shrinks back to the warm size after idle time", async () => {
      let total = 0;
      for (let i = 0; i < 60; i++) {
        await new Promise((r) => setTimeout(r, 100));
        total = (await (await fetch(`${server.url}/health`)).json()).pools.python.total;
        if (total === 1) break;
      }
      assert.equal(total, 1);
      assert.match(
        await metrics(server),
        /faas_instance_recycles_total\{language="python",reason="idle"\} 1/,
      );
    });

    await server.close();
  },
});
