import assert from "node:assert/strict";
import { findLauncher, watchLauncher } from "./orphan_watch.ts";

Deno.test("the launcher watch notices a launcher that is gone", async (t) => {
  await t.step("nothing is watched outside npm", async () => {
    assert.equal(await findLauncher({}), undefined);
    let called = false;
    watchLauncher(undefined, () => called = true, 10)();
    assert.equal(called, false);
  });
  await t.step("under npm the launcher is our parent and its parent", async () => {
    const launcher = await findLauncher({ npm_command: "exec" });
    assert.equal(launcher?.parent, Deno.ppid);
    assert.ok((launcher?.grandparent ?? 0) > 0);
  });
  await t.step("a launcher gone before the watch starts is noticed at once", async () => {
    const launcher = await findLauncher({ npm_command: "exec" });
    // As if the launcher had died while the service started: its parent changed.
    const gone = { parent: launcher!.parent, grandparent: launcher!.grandparent + 1_000_000 };
    const noticed = await new Promise<boolean>((resolve) => {
      const stop = watchLauncher(gone, () => resolve(true), 60_000);
      setTimeout(() => {
        stop();
        resolve(false);
      }, 5_000);
    });
    assert.equal(noticed, true);
  });
  await t.step("a launcher still there is left alone", async () => {
    const launcher = await findLauncher({ npm_command: "exec" });
    let called = false;
    const stop = watchLauncher(launcher, () => called = true, 50);
    await new Promise((r) => setTimeout(r, 400));
    stop();
    assert.equal(called, false);
  });
});
