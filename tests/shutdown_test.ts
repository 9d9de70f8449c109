/**
 * Graceful shutdown of the real service process: SIGTERM with a run in
 * flight lets that run finish, refuses new work, stops every host and
 * exits 0.
 */
import assert from "node:assert/strict";
import { freePort } from "./helpers/ports.ts";

const root = new URL("..", import.meta.url).pathname;

async function hostsWith(pattern: string): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-eo", "args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l.includes("host_main.ts") && l.includes(pattern)).length;
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name: `${signal} drains the run in flight, refuses new work and exits 0`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const port = freePort();
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--cached-only", "-A", "main.ts"],
        cwd: root,
        env: {
          FAAS_HOST: "127.0.0.1",
          FAAS_PORT: String(port),
          FAAS_POOL_SIZE: "2",
          FAAS_SHUTDOWN_GRACE_MS: "5000",
        },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const url = `http://127.0.0.1:${port}`;
      const deadline = performance.now() + 30000;
      while (performance.now() < deadline) {
        const ok = await fetch(`${url}/health`).then((r) => r.body?.cancel().then(() => r.ok))
          .catch(() => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // Hosts of this service carry its pid-specific socket dir in argv;
      // count them through the child's descendants instead: all of them.
      const before = await hostsWith("/faas-");
      assert.ok(before >= 2);

      const inFlight = fetch(`${url}/run_code`, {
        method: "POST",
        body: JSON.stringify({
          language: "python",
          code: "import time\ntime.sleep(1.5)\n'finished'",
        }),
      });
      await new Promise((r) => setTimeout(r, 300));
      child.kill(signal);
      await new Promise((r) => setTimeout(r, 200));

      const refused = await fetch(`${url}/run_code`, {
        method: "POST",
        body: JSON.stringify({ language: "python", code: "1" }),
      }).then(async (r) => ({ status: r.status, body: await r.json() })).catch(() => null);
      // Either a 503 while draining or, once the listener closed, no connection.
      if (refused) {
        assert.equal(refused.status, 503);
        assert.match(refused.body.error, /shutting down/);
      }

      const res = await inFlight;
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.metadata.status, "success");
      assert.equal(body.output.ret_val, "finished");

      const status = await child.status;
      assert.equal(status.code, 0);
      const log = new TextDecoder().decode((await child.stdout.getReader().read()).value);
      assert.match(log, new RegExp(`${signal} received`));
      await child.stderr.cancel();
      // Give the kernel a moment to reap the killed hosts.
      await new Promise((r) => setTimeout(r, 200));
      assert.ok((await hostsWith("/faas-")) <= before - 2, "hosts were stopped");
    },
  });
}
