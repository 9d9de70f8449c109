/**
 * The Dockerfile cannot be built here; what can be checked is checked: the
 * layer order, and its HEALTHCHECK command run for real against a service
 * on a non-default port.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

const dockerfile = Deno.readTextFileSync(new URL("../Dockerfile", import.meta.url));

Deno.test("the Dockerfile installs dependencies before copying the code", () => {
  const at = (text: string) => {
    const i = dockerfile.indexOf(text);
    assert.ok(i >= 0, `missing: ${text}`);
    return i;
  };
  assert.ok(at("COPY deno.json deno.lock ./") < at("RUN deno install --frozen"));
  assert.ok(at("RUN deno install --frozen") < at("COPY . ."));
  assert.ok(at("COPY . .") < at("deno task snapshot"));
  assert.match(dockerfile, /FAAS_LOG_FORMAT=json/);
});

Deno.test({
  name: "the Dockerfile's HEALTHCHECK follows the configured port",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cmd = dockerfile.match(/HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/);
    assert.ok(cmd, "a HEALTHCHECK with an exec-form CMD");
    const [program, ...args] = JSON.parse(cmd[1]) as string[];
    assert.equal(program, "deno");
    const check = (env: Record<string, string>) =>
      new Deno.Command(Deno.execPath(), { args, env, stdout: "null", stderr: "null" }).output();
    const server = await startServer({ FAAS_POOL_SIZE: "2" });
    try {
      const port = new URL(server.url).port;
      assert.equal((await check({ FAAS_PORT: port })).code, 0);
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const unused = String((closed.addr as Deno.NetAddr).port);
      closed.close();
      assert.equal((await check({ FAAS_PORT: unused })).code, 1);
      assert.equal((await check({ FAAS_PORT: unused, FAAS_METRICS_PORT: port })).code, 0);
    } finally {
      await server.close();
    }
  },
});
