/**
 * The container's conditions, without a container: the service runs as an
 * unprivileged user that can write nothing but /tmp (the image's code and
 * Deno cache are root-owned and read-only to it, as with a read-only root
 * filesystem and a tmpfs on /tmp). Needs root to switch users; skipped
 * otherwise.
 */
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;
const isRoot = Deno.uid() === 0;

Deno.test({
  name: "the service runs as an unprivileged user with only /tmp writable",
  ignore: !isRoot,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const info = JSON.parse(new TextDecoder().decode(
      (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output()).stdout,
    ));
    // A root-owned copy of the Deno cache the user may read but not write.
    const cache = Deno.makeTempDirSync({ prefix: "ro-deno-" });
    await new Deno.Command("cp", { args: ["-r", `${info.denoDir}/.`, cache] }).output();
    await new Deno.Command("chmod", { args: ["-R", "a+rX,go-w", cache] }).output();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const script = [
      `cd ${root}`,
      // The checkout is not the user's to write: jobs go where it may write.
      `DENO_DIR=${cache} HOME=/tmp FAAS_HOST=127.0.0.1 FAAS_PORT=${port} FAAS_POOL_SIZE=2 ` +
      `FAAS_JOB_STORE=/tmp/nonroot-jobs-${port}.sqlite ` +
      `exec ${Deno.execPath()} run --no-prompt --cached-only --allow-net --allow-env ` +
      `--allow-read --allow-write --allow-run --allow-sys main.ts`,
    ].join(" && ");
    const child = new Deno.Command("su", {
      args: ["nobody", "-s", "/bin/sh", "-c", script],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      const url = `http://127.0.0.1:${port}`;
      let ready = false;
      for (let i = 0; i < 300 && !ready; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ready = await fetch(`${url}/health`).then(async (r) => (await r.body?.cancel(), r.ok))
          .catch(() => false);
      }
      assert.ok(ready, "the service became ready");
      for (const [language, code] of [["python", "6 * 7"], ["javascript", "return 6 * 7"]]) {
        const res = await fetch(`${url}/run_code`, {
          method: "POST",
          body: JSON.stringify({ language, code }),
        });
        assert.equal((await res.json()).output.ret_val, "42", language);
      }
      // The user could not have written the cache: it is still root's alone.
      assert.equal(Deno.statSync(cache).uid, 0);
    } finally {
      await new Deno.Command("pkill", { args: ["-TERM", "-u", "nobody", "-f", "main.ts"] })
        .output();
      await child.status;
      await child.stderr.cancel();
      Deno.removeSync(cache, { recursive: true });
    }
  },
});
