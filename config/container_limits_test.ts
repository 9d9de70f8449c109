import assert from "node:assert/strict";
import { ownCgroups, readContainerLimits } from "./container_limits.ts";

function tree(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "faas-cgroup-" });
  for (const [path, text] of Object.entries(files)) {
    Deno.mkdirSync(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    Deno.writeTextFileSync(`${root}/${path}`, text + "\n");
  }
  return root;
}

Deno.test("container limits are read from cgroup v2 and v1 files", async (t) => {
  await t.step("v2: memory.max and cpu.max of the process's own cgroup", () => {
    const root = tree({
      "memory.max": "max",
      "kubepods/pod1/memory.max": "1073741824",
      "kubepods/pod1/cpu.max": "50000 100000",
    });
    const limits = readContainerLimits(root, "0::/kubepods/pod1\n");
    assert.equal(limits.memoryBytes, 2 ** 30);
    assert.equal(limits.cpus, 0.5);
    assert.match(limits.source ?? "", /kubepods\/pod1\/memory\.max/);
  });
  await t.step("v2: the root's files as a container mounts them", () => {
    const root = tree({ "memory.max": "536870912", "cpu.max": "max 100000" });
    const limits = readContainerLimits(root, "0::/\n");
    assert.equal(limits.memoryBytes, 512 * 2 ** 20);
    assert.equal(limits.cpus, undefined, "max is no CPU limit");
  });
  await t.step("v1: memory.limit_in_bytes and the CFS quota", () => {
    const root = tree({
      "memory/docker/abc/memory.limit_in_bytes": "805306368",
      "cpu/docker/abc/cpu.cfs_quota_us": "150000",
      "cpu/docker/abc/cpu.cfs_period_us": "100000",
    });
    const limits = readContainerLimits(
      root,
      "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/\n",
    );
    assert.equal(limits.memoryBytes, 768 * 2 ** 20);
    assert.equal(limits.cpus, 1.5);
  });
  await t.step("v1 without limits: unlimited memory and quota -1 are no limits", () => {
    const root = tree({
      "memory/memory.limit_in_bytes": "9223372036854771712",
      "cpu/cpu.cfs_quota_us": "-1",
      "cpu/cpu.cfs_period_us": "100000",
    });
    assert.deepEqual(readContainerLimits(root, "4:memory:/\n1:cpu:/\n"), {});
  });
  await t.step("no cgroup files at all: no limits", () => {
    assert.deepEqual(readContainerLimits("/nonexistent-cgroup-root", undefined), {});
  });
  await t.step("/proc/self/cgroup lines map controllers to paths", () => {
    const own = ownCgroups("4:memory:/a\n2:cpu,cpuacct:/b\n0::/c\n");
    assert.equal(own.get("memory"), "/a");
    assert.equal(own.get("cpuacct"), "/b");
    assert.equal(own.get(""), "/c");
  });
});
