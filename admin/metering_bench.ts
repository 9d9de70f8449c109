/**
 * What metering and quotas add to a run, in process: counting a finished
 * run, and admitting a run of a tenant without and with a quota (SQLite,
 * counters in memory). `deno bench -A admin/metering_bench.ts`.
 */
import { Logger } from "../core/log.ts";
import type { RunResult } from "../sandbox/host.ts";
import { LocalQuotaCounters } from "./local_quota_counters.ts";
import { QuotaGate } from "./quota_gate.ts";
import { SqliteQuotaStore } from "./sqlite_quota_store.ts";
import { SqliteUsageStore } from "./sqlite_usage_store.ts";
import { UsageMeter } from "./usage_meter.ts";

const usage = new SqliteUsageStore(":memory:");
const quotas = new SqliteQuotaStore(":memory:");
const meter = new UsageMeter(usage, new Logger("error", "json", () => {}), { flushMs: 3_600_000 });
const gate = new QuotaGate({
  quotas,
  counters: new LocalQuotaCounters(),
  today: (tenant) => meter.today(tenant),
});
await gate.put({
  tenant: "limited",
  invocationsPerDay: Number.MAX_SAFE_INTEGER,
  cpuMsPerDay: null,
  maxConcurrent: 1_000_000,
  warnAt: 1,
  updatedAt: 0,
});
const result: RunResult = {
  id: 1,
  status: "success",
  stdout: "",
  stderr: "",
  retVal: "",
  retValSet: true,
  exitCode: 0,
  durationMs: 1.5,
  truncated: false,
  instanceId: "x",
  cpuMs: 1.2,
  memoryBytes: 1 << 20,
};
const accounts = Array.from({ length: 100 }, (_, i) => ({ tenant: `t${i}`, keyId: `k${i % 7}` }));
let i = 0;

Deno.bench("count a finished run", () => {
  meter.record(accounts[i++ % accounts.length], result);
});

Deno.bench("admit a run of a tenant without a quota", async () => {
  (await gate.admit("free", 1, true)).settle(true);
});

Deno.bench("admit a run of a tenant with a quota", async () => {
  (await gate.admit("limited", 1, true)).settle(true);
});
