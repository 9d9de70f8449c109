/**
 * A newcomer's first start is quiet: installing the dependencies prints no
 * download lines or warnings, and the service says in one line where it
 * listens and with what.
 */
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;

Deno.test({
  name: "installing the dependencies into a fresh checkout prints nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "faas-fresh-" });
    try {
      for (const file of ["deno.json", "deno.lock"]) {
        await Deno.copyFile(`${root}/${file}`, `${dir}/${file}`);
      }
      // The install task's own flags, for every dependency (no entry points
      // here); node_modules starts empty, so every package is set up anew.
      const task = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks.install;
      assert.match(task, /^deno install --quiet --frozen /);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["install", "--quiet", "--frozen"],
        cwd: dir,
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      assert.equal(text.trim(), "", "the install printed something");
      assert.ok(Deno.statSync(`${dir}/node_modules/pyodide`).isDirectory);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
