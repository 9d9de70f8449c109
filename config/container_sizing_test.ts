import assert from "node:assert/strict";
import { SERVER_RESERVE_MB, type SizedSettings, sizeForContainer } from "./container_sizing.ts";

const DEFAULTS: SizedSettings = {
  FAAS_WARM_MEMORY_MB: 2048,
  FAAS_POOL_SIZE: 4,
  FAAS_MAX_INSTANCES: 8,
  FAAS_MEMORY_LIMIT_MB: 256,
};
const unset = () => false;

Deno.test("defaults are sized to the container's limits", async (t) => {
  await t.step("1 GiB and half a CPU: everything fits inside with room for runs", () => {
    const s = sizeForContainer({ memoryBytes: 2 ** 30, cpus: 0.5 }, DEFAULTS, unset);
    const c = s.chosen as SizedSettings;
    assert.equal(c.FAAS_POOL_SIZE, 2);
    assert.equal(c.FAAS_MAX_INSTANCES, 2);
    assert.equal(s.cores, 1);
    // The server, its idle hosts (a Python one ~180 MiB, a JS one ~65) and
    // a run at its limit on each fit in 1 GiB; the warm budget holds the
    // idle hosts.
    const idle = 180 + 65;
    const worst = SERVER_RESERVE_MB + idle + c.FAAS_MAX_INSTANCES * (c.FAAS_MEMORY_LIMIT_MB + 128);
    assert.ok(worst <= 1024, `worst case ${worst} MiB`);
    assert.ok(c.FAAS_WARM_MEMORY_MB >= idle && c.FAAS_WARM_MEMORY_MB < 1024);
    assert.match(s.summary ?? "", /memory limit 1024 MiB.*CPU limit 0\.5: 1 core/);
  });
  await t.step("a large limit keeps the usual defaults' scale", () => {
    const c = sizeForContainer({ memoryBytes: 8 * 2 ** 30 }, DEFAULTS, unset).chosen;
    assert.equal(c.FAAS_POOL_SIZE, 4);
    assert.equal(c.FAAS_MAX_INSTANCES, 8);
    assert.equal(c.FAAS_WARM_MEMORY_MB, 2048);
  });
  await t.step("what the operator set is kept and used", () => {
    const set = (name: keyof SizedSettings) => name === "FAAS_MEMORY_LIMIT_MB";
    const c = sizeForContainer({ memoryBytes: 2 ** 30 }, {
      ...DEFAULTS,
      FAAS_MEMORY_LIMIT_MB: 200,
    }, set).chosen;
    assert.equal(c.FAAS_MEMORY_LIMIT_MB, undefined);
    // Two runs of 200 MiB leave less for warm instances (never under 256).
    assert.equal(c.FAAS_WARM_MEMORY_MB, 256);
  });
  await t.step("no limits: nothing chosen, nothing said", () => {
    const s = sizeForContainer({}, DEFAULTS, unset);
    assert.deepEqual(s.chosen, {});
    assert.equal(s.summary, undefined);
  });
});
