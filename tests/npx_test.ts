/**
 * The README's start command: SIGTERM to the `npx` process stops the
 * service (npx itself does not pass the signal on).
 */
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;

Deno.test({
  name: "SIGTERM to npx stops the service it started",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const url = `http://127.0.0.1:${port}/health/live`;
    const npx = new Deno.Command("npx", {
      args: ["-y", `deno@${Deno.version.deno}`, "task", "start"],
      cwd: root,
      env: { FAAS_HOST: "127.0.0.1", FAAS_PORT: String(port), FAAS_POOL_SIZE: "2" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const alive = () =>
      fetch(url).then((r) => r.body?.cancel().then(() => r.ok)).catch(() => false);
    try {
      let up = false;
      for (let i = 0; i < 600 && !up; i++) {
        up = (await alive()) ?? false;
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(up, "the service came up through npx");
      npx.kill("SIGTERM");
      await npx.status;
      let down = false;
      for (let i = 0; i < 150 && !down; i++) {
        down = !(await alive());
        if (!down) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(down, "the service stopped after npx got SIGTERM");
    } finally {
      try {
        npx.kill("SIGKILL");
      } catch {
        // Gone already.
      }
    }
  },
});
