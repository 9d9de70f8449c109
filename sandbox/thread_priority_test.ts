import assert from "node:assert/strict";
import { DEMOTED_NICE, demoteThread, sampleThreads } from "./thread_priority.ts";
import { threadsOf } from "../tests/helpers/threads.ts";

Deno.test({
  name: "a busy worker thread is found by its sample and demoted alone",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    const src = "self.onmessage = (e) => { const end = Date.now() + e.data; " +
      "while (Date.now() < end) {} postMessage(0); };";
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const busy = new Worker(url, { type: "module" });
    const idle = new Worker(url, { type: "module" });
    try {
      const done = new Promise((r) => busy.onmessage = r);
      busy.postMessage(1500);
      await new Promise((r) => setTimeout(r, 200));
      const samples = await sampleThreads(Deno.pid, 200);
      const workers = samples.filter((s) => s.name.startsWith("worker-"));
      await t.step("the busy worker's thread wanted a core the whole sample", () => {
        assert.equal(workers.length, 2, JSON.stringify(samples));
        const [hot, cold] = workers.toSorted((a, b) => b.busyMs - a.busyMs);
        assert.ok(hot.busyMs >= 150, JSON.stringify(hot));
        assert.ok(cold.busyMs < 50, JSON.stringify(cold));
      });
      await t.step("demoting it lowers that thread only", async () => {
        const hot = workers.toSorted((a, b) => b.busyMs - a.busyMs)[0];
        assert.ok(demoteThread(hot.tid));
        for (const thread of await threadsOf(Deno.pid)) {
          assert.equal(thread.nice, thread.tid === hot.tid ? DEMOTED_NICE : 0, thread.name);
        }
      });
      await done;
      await t.step("a process that is gone samples as nothing", async () => {
        assert.deepEqual(await sampleThreads(2 ** 22 + 1, 10), []);
      });
    } finally {
      busy.terminate();
      idle.terminate();
    }
  },
});
