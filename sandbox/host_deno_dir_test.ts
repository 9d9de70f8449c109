import assert from "node:assert/strict";
import { createHostDenoDir, removeHostDenoDir, sharedDenoDir } from "./host_deno_dir.ts";

Deno.test("host DENO_DIR", async (t) => {
  await t.step("the shared directory follows Deno's own rule", () => {
    const env = (vars: Record<string, string>) => (name: string) => vars[name];
    assert.equal(sharedDenoDir(env({ DENO_DIR: "/d", HOME: "/h" })), "/d");
    if (Deno.build.os === "linux") {
      assert.equal(sharedDenoDir(env({ HOME: "/h" })), "/h/.cache/deno");
      assert.equal(sharedDenoDir(env({ HOME: "/h", XDG_CACHE_HOME: "/x" })), "/x/deno");
    }
  });

  await t.step("links the module caches and nothing else; removal spares them", () => {
    const root = Deno.makeTempDirSync();
    try {
      const shared = `${root}/shared`;
      for (const entry of ["npm", "gen", "location_data"]) {
        Deno.mkdirSync(`${shared}/${entry}`, { recursive: true });
      }
      Deno.writeTextFileSync(`${shared}/npm/kept`, "x");
      const own = createHostDenoDir(shared, `${root}/host-1`);
      const entries = [...Deno.readDirSync(own)].map((e) => e.name).sort();
      // Web storage and the Cache API live in location_data: never shared.
      assert.deepEqual(entries, ["gen", "npm"]);
      assert.ok(Deno.lstatSync(`${own}/npm`).isSymlink);
      removeHostDenoDir(own);
      assert.throws(() => Deno.statSync(own));
      assert.equal(Deno.readTextFileSync(`${shared}/npm/kept`), "x");
      removeHostDenoDir(own);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  });
});
