/**
 * The quota gate over real stores (SQLite in memory) and in-process
 * counters, on a clock of its own: daily runs (seeded from the day's usage,
 * batches whole, refunds), daily CPU time, runs in progress, warnings, and
 * limits set through another replica applying once the cache is stale.
 */
import assert from "node:assert/strict";
import { QuotaExceededError } from "../core/errors.ts";
import { Logger } from "../core/log.ts";
import type { RunResult } from "../sandbox/host.ts";
import { LocalQuotaCounters } from "./local_quota_counters.ts";
import { QuotaGate } from "./quota_gate.ts";
import { DEFAULT_WARN_AT, type Quota } from "./quota_types.ts";
import { SqliteQuotaStore } from "./sqlite_quota_store.ts";
import { SqliteUsageStore } from "./sqlite_usage_store.ts";
import { UsageMeter } from "./usage_meter.ts";

const quota = (tenant: string, q: Partial<Quota>): Quota => ({
  tenant,
  invocationsPerDay: null,
  cpuMsPerDay: null,
  maxConcurrent: null,
  warnAt: DEFAULT_WARN_AT,
  updatedAt: 0,
  ...q,
});

const ran = (cpuMs: number): RunResult => ({
  id: 1,
  status: "success",
  stdout: "",
  stderr: "",
  retVal: "",
  retValSet: true,
  exitCode: 0,
  durationMs: 1,
  truncated: false,
  instanceId: "x",
  cpuMs,
});

function setup() {
  const clock = { now: Date.UTC(2026, 0, 10, 23, 59, 0) };
  const quotas = new SqliteQuotaStore(":memory:");
  const usage = new SqliteUsageStore(":memory:");
  const meter = new UsageMeter(usage, new Logger("error", "json", () => {}), {
    now: () => clock.now,
    flushMs: 60_000,
  });
  const gate = new QuotaGate({
    quotas,
    counters: new LocalQuotaCounters(),
    today: (tenant) => meter.today(tenant),
    now: () => clock.now,
  });
  return { clock, quotas, meter, gate };
}

async function refused(p: Promise<unknown>): Promise<QuotaExceededError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof QuotaExceededError) return err;
    throw err;
  }
  throw new Error("admitted");
}

Deno.test("a tenant without a quota is let through", async () => {
  const { gate } = setup();
  const a = await gate.admit("free", 1000, true);
  assert.deepEqual(a.warnings, []);
  a.settle(true);
});

Deno.test("runs per day: seeded from usage, warned, refused, refunded, reset at midnight", async () => {
  const { clock, meter, gate } = setup();
  meter.record({ tenant: "t", keyId: "k" }, ran(1));
  await gate.put(quota("t", { invocationsPerDay: 4, warnAt: 0.5 }));
  const first = await gate.admit("t", 1, true);
  assert.deepEqual(first.warnings, ["invocations_per_day=2/4"]);
  first.settle(true);
  const batch = await refused(gate.admit("t", 3, false));
  assert.equal(batch.quota, "invocations_per_day");
  assert.match(
    batch.message,
    /invocations_per_day is 4 and 2 runs were admitted today \(a batch of 3/,
  );
  (await gate.admit("t", 2, false)).settle(true);
  const over = await refused(gate.admit("t", 1, true));
  assert.deepEqual([over.tenant, over.limit, over.used], ["t", 4, 4]);
  assert.equal(over.resetAt, Date.UTC(2026, 0, 11));
  assert.equal(over.retryAfterS, 60);
  assert.equal(await gate.admit("other", 1, true).then(() => "ok"), "ok", "others unaffected");
  const status = await gate.status((await gate.get("t"))!);
  assert.deepEqual(status.used, { invocations: 4, cpuMs: 1, concurrent: 0 });
  assert.ok(status.warning);
  clock.now += 60_000;
  const tomorrow = await gate.admit("t", 1, true);
  assert.deepEqual(tomorrow.warnings, []);
  // A run refused by the scheduler never ran: its charge is given back.
  tomorrow.settle(false);
  assert.equal((await gate.status((await gate.get("t"))!)).used.invocations, 0);
});

Deno.test("CPU time per day is checked against the day's usage", async () => {
  const { meter, gate } = setup();
  await gate.put(quota("t", { cpuMsPerDay: 100 }));
  meter.record({ tenant: "t", keyId: "k" }, ran(85));
  const warned = await gate.admit("t", 1, true);
  assert.deepEqual(warned.warnings, ["cpu_ms_per_day=85/100"]);
  meter.record({ tenant: "t", keyId: "k" }, ran(20));
  await meter.flush();
  const over = await refused(gate.admit("t", 1, true));
  assert.deepEqual([over.quota, over.limit, over.used], ["cpu_ms_per_day", 100, 105]);
});

Deno.test("runs in progress: held slots, job runs tracked, submissions checked", async () => {
  const { gate } = setup();
  await gate.put(quota("t", { maxConcurrent: 2 }));
  const a = await gate.admit("t", 1, true);
  const untrack = await gate.track("t");
  const over = await refused(gate.admit("t", 1, true));
  assert.deepEqual([over.quota, over.limit, over.used, over.retryAfterS], [
    "max_concurrent",
    2,
    2,
    1,
  ]);
  assert.equal(over.resetAt, undefined);
  await refused(gate.admit("t", 5, false));
  untrack();
  a.settle(true);
  a.settle(true);
  (await gate.admit("t", 5, false)).settle(true);
  assert.equal((await gate.status((await gate.get("t"))!)).used.concurrent, 0);
});

Deno.test("a quota set through another replica applies once the cache is a second old", async () => {
  const { clock, quotas, gate } = setup();
  (await gate.admit("t", 1, true)).settle(true);
  await quotas.putQuota(quota("t", { invocationsPerDay: 0 }));
  (await gate.admit("t", 1, true)).settle(true);
  clock.now += 1001;
  await refused(gate.admit("t", 1, true));
  assert.ok(await gate.remove("t"));
  assert.equal(await gate.remove("t"), undefined);
  (await gate.admit("t", 1, true)).settle(true);
});
