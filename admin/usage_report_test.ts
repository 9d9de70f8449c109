/** Usage rows summed per tenant and key, and per hour or day. */
import assert from "node:assert/strict";
import { usageByTenant, usageSeries } from "./usage_report.ts";
import { DAY_MS, HOUR_MS, type UsageRow, zeroCounters } from "./usage_types.ts";

const DAY = Date.UTC(2026, 0, 10);
const row = (tenant: string, keyId: string, hour: number, n: number, peak = 0): UsageRow => ({
  ...zeroCounters(),
  tenant,
  keyId,
  hour,
  invocations: n,
  cpuMs: n,
  peakMemoryBytes: peak,
});

Deno.test("usage sums per tenant, with each key's share, sorted by name", () => {
  const out = usageByTenant([
    row("b", "k2", DAY, 1, 10),
    row("a", "k1", DAY, 2),
    row("b", "k1", DAY + HOUR_MS, 3, 30),
    row("b", "k2", DAY + HOUR_MS, 4, 20),
  ]);
  assert.deepEqual(out.map((t) => [t.tenant, t.invocations, t.peakMemoryBytes]), [
    ["a", 2, 0],
    ["b", 8, 30],
  ]);
  assert.deepEqual(out[1].keys.map((k) => [k.keyId, k.invocations, k.peakMemoryBytes]), [
    ["k1", 3, 30],
    ["k2", 5, 20],
  ]);
  assert.deepEqual(usageByTenant([]), []);
});

Deno.test("usage series: hours or days, oldest first, empty buckets left out", () => {
  const rows = [
    row("a", "k1", DAY + DAY_MS, 5),
    row("a", "k1", DAY + 2 * HOUR_MS, 1),
    row("a", "k2", DAY + 2 * HOUR_MS, 2),
    row("a", "k1", DAY, 3),
  ];
  assert.deepEqual(usageSeries(rows, "hour").map((p) => [p.start - DAY, p.invocations]), [
    [0, 3],
    [2 * HOUR_MS, 3],
    [DAY_MS, 5],
  ]);
  assert.deepEqual(usageSeries(rows, "day").map((p) => [p.start - DAY, p.invocations]), [
    [0, 6],
    [DAY_MS, 5],
  ]);
});
