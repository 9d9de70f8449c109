/**
 * The README's start command: SIGTERM to the `npx` process stops the
 * service (npx itself does not pass the signal on).
 */
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;

/**
 * Starts the service through npx, sends npx SIGTERM once the port answers
 * (`ready`: with 200, else with anything, even the 503 of a service still
 * starting) and asserts that the service stops.
 */
async function stopsAfterSigterm(ready: boolean): Promise<void> {
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
  // Whether the port answers with 200, or (`any`) with anything at all.
  const answers = (any: boolean) =>
    fetch(url).then(async (r) => (await r.body?.cancel(), any || r.ok), () => false);
  try {
    let up = false;
    const deadline = performance.now() + 60_000;
    while (!up && performance.now() < deadline) {
      up = await answers(!ready);
      if (!up) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(up, "the service came up through npx");
    npx.kill("SIGTERM");
    await npx.status;
    let down = false;
    for (let i = 0; i < 150 && !down; i++) {
      down = !(await answers(true));
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
}

Deno.test({
  name: "SIGTERM to npx stops the service it started",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => stopsAfterSigterm(true),
});

Deno.test({
  name: "SIGTERM to npx while the service is still starting stops it too",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => stopsAfterSigterm(false),
});
