/**
 * The client outside this repository: from a temporary directory, Deno
 * imports client.ts by path (type-checked, with no deno.json around), and
 * Node runs the JavaScript `deno task build:client` emits; both against a
 * running service.
 */
import assert from "node:assert/strict";
import { startServer } from "../tests/helpers/server.ts";

const root = new URL("..", import.meta.url).pathname;

const SCRIPT = (from: string, url: string) => `
import { SandboxClient } from ${JSON.stringify(from)};
const client = new SandboxClient({ baseUrl: ${JSON.stringify(url)} });
const res = await client.run({ language: "python", code: "sum(INPUT)", input: [1, 2, 39] });
console.log(JSON.stringify([res.output.ret_val, res.output.ret_json, res.metadata.status]));
`;

Deno.test({
  name: "the client works from outside the repository in Deno and in Node",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2" });
    const dir = Deno.makeTempDirSync({ prefix: "faas-client-" });
    const run = async (cmd: string, args: string[], env: Record<string, string> = {}) => {
      const out = await new Deno.Command(cmd, {
        args,
        cwd: dir,
        env,
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      const text = new TextDecoder();
      assert.equal(out.code, 0, text.decode(out.stderr));
      return text.decode(out.stdout).trim();
    };
    try {
      await t.step("Deno, by path, type-checked", async () => {
        Deno.writeTextFileSync(`${dir}/use.ts`, SCRIPT(`${root}client/client.ts`, server.url));
        const out = await run(Deno.execPath(), ["run", "--check", "--allow-net", "use.ts"], {
          DENO_NO_UPDATE_CHECK: "1",
        });
        assert.equal(out, '["42",42,"success"]');
      });

      await t.step("Node, from the built JavaScript and .d.ts", async () => {
        const build = await new Deno.Command(Deno.execPath(), {
          args: ["task", "build:client", `${dir}/client`],
          cwd: root,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
        assert.ok(Deno.statSync(`${dir}/client/client.d.ts`).isFile);
        Deno.writeTextFileSync(`${dir}/use.mjs`, SCRIPT("./client/client.js", server.url));
        assert.equal(await run("node", ["use.mjs"]), '["42",42,"success"]');
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
      await server.close();
    }
  },
});
