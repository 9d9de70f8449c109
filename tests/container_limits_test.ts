/**
 * Under a container's limits: with a cgroup of 1 GiB and half a CPU (its
 * limit files injected through FAAS_CGROUP_DIR), the service sizes its
 * defaults to fit, says so at start-up, and its whole process tree stays
 * inside the limit through new keys and memory-hungry runs.
 */
import assert from "node:assert/strict";
import { startServiceProcess } from "./helpers/service_process.ts";
import { processTree } from "./helpers/proc_stats.ts";

const LIMIT = 2 ** 30;

Deno.test({
  name: "a service sized for a 1 GiB container stays inside it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cgroup = await Deno.makeTempDir({ prefix: "faas-cgroup-" });
    await Deno.writeTextFile(`${cgroup}/memory.max`, `${LIMIT}\n`);
    await Deno.writeTextFile(`${cgroup}/cpu.max`, "50000 100000\n");
    const service = await startServiceProcess({ FAAS_CGROUP_DIR: cgroup }, undefined, {
      keepLogs: true,
    });
    let peak = 0;
    const sample = () => {
      let rss = 0;
      for (const s of processTree(service.child.pid).values()) rss += s.rssBytes;
      peak = Math.max(peak, rss);
    };
    const sampler = setInterval(sample, 100);
    const run = async (language: string, code: string) => {
      const res = await fetch(`${service.url}/run_code`, {
        method: "POST",
        body: JSON.stringify({ language, code, timeout: 10_000 }),
      });
      return (await res.json()).metadata?.status as string;
    };
    try {
      await t.step("start-up says what it sized, and for which limits", async () => {
        for (let i = 0; i < 50 && !/Sized for the container/.test(service.logs()); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.match(
          service.logs(),
          /Sized for the container \(memory limit 1024 MiB: warm budget \d+ MiB, pool 2, at most 2 hosts, \d+ MiB per run; CPU limit 0\.5: 1 core/,
        );
      });
      await t.step("new keys and memory-hungry runs keep the tree under the limit", async () => {
        const work: [string, string][] = [];
        for (let i = 0; i < 16; i++) work.push(["python", `# ${i}\nprint(sum(range(${i})))`]);
        for (let i = 0; i < 8; i++) work.push(["javascript", `// ${i}\nconsole.log(${i})`]);
        for (let i = 0; i < 3; i++) {
          work.push(["python", `# big ${i}\nx = bytearray(100 * 2**20)\nprint(len(x))`]);
          work.push(["python", `# huge ${i}\nx = bytearray(2**30)`]);
          work.push(["javascript", `// big ${i}\nconst a = new Array(2e7).fill(1.5); a.length`]);
        }
        const statuses: string[] = [];
        for (let i = 0; i < work.length; i += 2) {
          statuses.push(...await Promise.all(work.slice(i, i + 2).map(([l, c]) => run(l, c))));
        }
        assert.equal(statuses.filter((s) => s === "success").length >= 24, true, `${statuses}`);
        sample();
        assert.ok(peak < LIMIT, `the process tree peaked at ${Math.round(peak / 2 ** 20)} MiB`);
        assert.equal(await run("python", "print('still here')"), "success");
      });
    } finally {
      clearInterval(sampler);
      await service.stop();
      await Deno.remove(cgroup, { recursive: true });
    }
  },
});
