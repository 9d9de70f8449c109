import assert from "node:assert/strict";
import {
  findCachedSnapshot,
  SNAPSHOT_INPUTS,
  snapshotKey,
  STALE_SNAPSHOT_MS,
  storeSnapshot,
} from "./snapshot_cache.ts";
import { resolvePyodideDir } from "../protocol/pyodide_files.ts";

Deno.test("snapshot cache keeps only valid snapshots of the current build", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "faas-snapshot-cache-test-" });
  const bytes = crypto.getRandomValues(new Uint8Array(64 * 1024));

  await t.step("a stored snapshot is found under its key", async () => {
    const path = await storeSnapshot(dir, "k1", bytes);
    assert.equal((await findCachedSnapshot(dir, "k1"))?.path, path);
    assert.deepEqual(await Deno.readFile(path), bytes);
  });

  await t.step("another key finds nothing", async () => {
    assert.equal(await findCachedSnapshot(dir, "k2"), undefined);
  });

  await t.step("a truncated snapshot is not found", async () => {
    const path = `${dir}/python-k1.snapshot`;
    await Deno.writeFile(path, bytes.subarray(0, 1000));
    assert.equal(await findCachedSnapshot(dir, "k1"), undefined);
  });

  await t.step("a snapshot without its digest is not found", async () => {
    await storeSnapshot(dir, "k1", bytes);
    await Deno.remove(`${dir}/python-k1.sha256`);
    assert.equal(await findCachedSnapshot(dir, "k1"), undefined);
  });

  await t.step("storing a new key keeps other versions until they are stale", async () => {
    await storeSnapshot(dir, "k1", bytes);
    await storeSnapshot(dir, "k2", bytes);
    const names = () => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    // Another checkout's service may be using k1 right now.
    assert.deepEqual(names(), [
      "python-k1.sha256",
      "python-k1.snapshot",
      "python-k2.sha256",
      "python-k2.snapshot",
    ]);
    await storeSnapshot(dir, "k2", bytes, Date.now() + STALE_SNAPSHOT_MS + 1000);
    assert.deepEqual(names(), ["python-k2.sha256", "python-k2.snapshot"]);
  });

  await t.step("finding a snapshot marks it used, so it does not go stale", async () => {
    await storeSnapshot(dir, "k1", bytes);
    const old = new Date(Date.now() - 2 * STALE_SNAPSHOT_MS);
    for (const f of ["python-k1.snapshot", "python-k1.sha256"]) {
      Deno.utimeSync(`${dir}/${f}`, old, old);
    }
    assert.ok(await findCachedSnapshot(dir, "k1"));
    await storeSnapshot(dir, "k3", bytes);
    assert.ok(await findCachedSnapshot(dir, "k1"), "k1 was used and is kept");
  });

  await Deno.remove(dir, { recursive: true });
});

Deno.test("snapshot key changes with the Pyodide files it was made from", async () => {
  const pyodide = resolvePyodideDir(undefined);
  const copy = await Deno.makeTempDir({ prefix: "faas-pyodide-copy-" });
  try {
    for (const file of SNAPSHOT_INPUTS) {
      await Deno.copyFile(`${pyodide}/${file}`, `${copy}/${file}`);
    }
    const key = await snapshotKey(pyodide);
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.equal(await snapshotKey(copy), key, "the same files give the same key");
    const zip = await Deno.readFile(`${copy}/python_stdlib.zip`);
    zip[zip.length - 1] ^= 1;
    await Deno.writeFile(`${copy}/python_stdlib.zip`, zip);
    assert.notEqual(await snapshotKey(copy), key);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});
