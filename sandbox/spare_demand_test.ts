import assert from "node:assert/strict";
import { MAX_SPARES_PER_HOST, SpareDemand } from "./spare_demand.ts";

Deno.test("spare demand follows the rate of new keys", async (t) => {
  await t.step("rare new keys keep the configured spares", () => {
    const d = new SpareDemand();
    d.noteStart(300);
    d.noteNewKey(0);
    assert.equal(d.perHost(2, 1, 100), 1);
  });
  await t.step("new keys faster than spares start ask for more", () => {
    const d = new SpareDemand();
    d.noteStart(500);
    // 40 new keys in 10 s: 4/s × 0.5 s × 1.5 = 3 spares over 2 hosts: 2 each.
    for (let i = 0; i < 40; i++) d.noteNewKey(i * 250);
    assert.equal(d.perHost(2, 1, 9_999), 2);
  });
  await t.step("a burst shorter than the window reads at its own rate", () => {
    const d = new SpareDemand();
    d.noteStart(400);
    // 20 new keys in 2 s: 10/s × 0.4 s × 1.5 = 6 spares over 2 hosts: 3 each.
    for (let i = 0; i < 20; i++) d.noteNewKey(i * 100);
    assert.equal(d.rate(2_000), 10);
    assert.equal(d.perHost(2, 1, 2_000), 3);
    // Read over the whole window the same burst would ask for one each.
    assert.equal(d.perHost(2, 1, 9_999), 1);
  });
  await t.step("keys arriving together do not read as a flood", () => {
    const d = new SpareDemand();
    d.noteStart(300);
    d.noteNewKey(0);
    d.noteNewKey(1);
    assert.equal(d.rate(2), 2);
    assert.equal(d.perHost(1, 1, 2), 1);
  });
  await t.step("the cap holds however fast keys come", () => {
    const d = new SpareDemand();
    d.noteStart(1000);
    for (let i = 0; i < 1000; i++) d.noteNewKey(i * 10);
    assert.equal(d.perHost(1, 1, 9_999), MAX_SPARES_PER_HOST);
  });
  await t.step("old arrivals age out", () => {
    const d = new SpareDemand();
    d.noteStart(1000);
    for (let i = 0; i < 100; i++) d.noteNewKey(i);
    assert.equal(d.perHost(1, 1, 30_000), 1);
    assert.equal(d.rate(30_000), 0);
  });
  await t.step("no spares configured stays no spares", () => {
    const d = new SpareDemand();
    d.noteStart(1000);
    for (let i = 0; i < 100; i++) d.noteNewKey(i);
    assert.equal(d.perHost(1, 0, 200), 0);
  });
});
