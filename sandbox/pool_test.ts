import assert from "node:assert/strict";
import { Pool } from "./pool.ts";
import { SocketHub } from "./socket_hub.ts";
import type { HostSettings } from "./host.ts";
import { resolvePyodideDir } from "../protocol/pyodide_files.ts";

function settings(hub: SocketHub): HostSettings {
  return {
    hub,
    memoryLimitMb: 256,
    killGraceMs: 200,
    startTimeoutMs: 60_000,
    pyodideDir: resolvePyodideDir(undefined),
    configPath: new URL("../deno.json", import.meta.url).pathname,
  };
}

const hooks = { onIdle() {}, onStart() {}, onExit() {} };

/** A one-host JavaScript pool, started. */
function jsPool(hub: SocketHub, sparesPerHost: number): Pool {
  const pool = new Pool(
    "javascript",
    { warmHosts: 1, maxRuns: 100, sparesPerHost },
    settings(hub),
    hooks,
  );
  pool.start();
  return pool;
}

Deno.test({
  name: "pool tells how its busy hosts keep the cores busy",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const hub = SocketHub.open();
    // No spares: a new key always waits for a worker of its own.
    const pool = jsPool(hub, 0);
    await pool.hosts()[0].ready;

    await t.step("an idle pool has none", () => {
      assert.equal(pool.startingForRuns(), 0);
    });

    await t.step("a new key's run holds its host while its worker starts", async () => {
      const placement = pool.place("key-a")!;
      assert.equal(placement.via, "new");
      assert.equal(pool.startingForRuns(), 1);
      await placement.instance.ready;
      assert.equal(pool.startingForRuns(), 0, "ready: the run is no longer waiting");
      pool.release(placement);
    });

    await t.step("a busy host's CPU rate counts once two reports came after its run", async () => {
      const placement = pool.place("key-b")!;
      assert.equal(pool.busyRatesKnown(), false, "no report covers the run yet");
      let known = false;
      for (let i = 0; i < 40 && !known; i++) {
        await new Promise((r) => setTimeout(r, 50));
        known = pool.busyRatesKnown();
      }
      assert.ok(known, "reports come four times a second");
      pool.release(placement);
      await placement.instance.ready.catch(() => {});
    });

    await t.step("a spare starting for no run is not counted", async () => {
      const spares = jsPool(hub, 1);
      await spares.hosts()[0].ready;
      assert.equal(spares.instanceCounts().starting, 1, "the host's spare is starting");
      assert.equal(spares.startingForRuns(), 0);
      await spares.close();
    });

    await pool.close();
    hub.close();
  },
});
