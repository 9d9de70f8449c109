/**
 * The meter counts runs in memory, by tenant, key and hour, and writes
 * them to a real SQLite store in batches: nothing is written before the
 * flush, what is pending is still seen, a failed write is kept for the next.
 */
import assert from "node:assert/strict";
import { Logger } from "../core/log.ts";
import type { RunResult } from "../sandbox/host.ts";
import { countersOfRun, UsageMeter } from "./usage_meter.ts";
import { SqliteUsageStore } from "./sqlite_usage_store.ts";
import { HOUR_MS } from "./usage_types.ts";

const quiet = () => new Logger("error", "json", () => {});
const result = (status: RunResult["status"], cpuMs = 2, memoryBytes = 1000): RunResult => ({
  status,
  stdout: "",
  stderr: "",
  retVal: "",
  exitCode: status === "success" ? 0 : 1,
  durationMs: 5,
  truncated: false,
  instanceId: "x",
  id: 1,
  retValSet: true,
  cpuMs,
  memoryBytes,
});

Deno.test("a run's status says which counters it adds to", () => {
  assert.deepEqual(
    [countersOfRun(result("success")).errors, countersOfRun(result("error")).errors],
    [0, 1],
  );
  assert.equal(countersOfRun(result("killed")).errors, 1);
  assert.equal(countersOfRun(result("timeout")).timeouts, 1);
  assert.equal(countersOfRun(result("memory_limit")).memoryKills, 1);
  const { errors, timeouts, memoryKills, invocations } = countersOfRun(result("cancelled"));
  assert.deepEqual([invocations, errors, timeouts, memoryKills], [1, 0, 0, 0]);
});

Deno.test("the meter gathers runs and writes them in batches", async () => {
  let now = Date.UTC(2026, 0, 10, 5, 30);
  const store = new SqliteUsageStore(":memory:");
  const meter = new UsageMeter(store, quiet(), { now: () => now, flushMs: 60_000 });
  const a = { tenant: "t1", keyId: "k1" };
  meter.record(a, result("success", 2, 100));
  meter.record(a, result("error", 3, 300));
  meter.record({ tenant: "t1", keyId: "k2" }, result("timeout"));
  meter.record(undefined, result("success"));
  now += HOUR_MS;
  meter.record(a, result("success"));
  assert.deepEqual(await store.usage({}), [], "nothing written before the flush");
  assert.equal(meter.pending("t1").length, 3);
  assert.equal(meter.pending("t2").length, 0);
  const today = await meter.today("t1");
  assert.equal(today.invocations, 4);
  assert.equal(today.cpuMs, 9);
  assert.equal(today.peakMemoryBytes, 1000);
  await meter.flush();
  assert.equal(meter.pending().length, 0);
  const rows = await store.usage({ tenant: "t1" });
  assert.equal(rows.length, 3);
  const first = rows.find((r) => r.keyId === "k1" && r.hour === Date.UTC(2026, 0, 10, 5))!;
  assert.deepEqual([first.invocations, first.errors, first.cpuMs, first.peakMemoryBytes], [
    2,
    1,
    5,
    300,
  ]);
  assert.equal((await meter.today("t1")).invocations, 4, "the same after the flush");
  await meter.close();
  await store.close();
});

Deno.test("counts a store could not take are kept and written later", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/jobs.sqlite`;
  const broken = new SqliteUsageStore(path);
  await broken.close();
  const meter = new UsageMeter(broken, quiet(), { flushMs: 60_000 });
  meter.record({ tenant: "t", keyId: "" }, result("success"));
  await meter.flush();
  assert.equal(meter.pending("t").length, 1, "kept after the failed write");
  await meter.close();
  await Deno.remove(dir, { recursive: true });
});
