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
  name: "the Dockerfile's snapshot layer has every file the snapshot needs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Replays the layers up to the snapshot in an empty directory: the
    // dependency install, the COPY lines before `COPY . .`, the RUN.
    const root = new URL("..", import.meta.url).pathname;
    const dir = Deno.makeTempDirSync({ prefix: "faas-docker-" });
    const cache = Deno.makeTempDirSync({ prefix: "faas-docker-snap-" });
    try {
      const head = dockerfile.slice(dockerfile.indexOf("FROM denoland/deno:2.9.6\nARG"));
      const upToSnapshot = head.slice(0, head.indexOf("COPY . ."));
      const copies = [...upToSnapshot.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)];
      assert.ok(copies.length >= 5);
      for (const [, sources, dest] of copies) {
        for (const source of sources.split(" ")) {
          const target = dest.endsWith("/") ? `${dir}/${dest}` : `${dir}/`;
          Deno.mkdirSync(target, { recursive: true });
          // Docker copies a directory's contents into the destination.
          const from = source.endsWith("/") ? `${root}${source}.` : `${root}${source}`;
          const out = await new Deno.Command("cp", { args: ["-r", from, target] }).output();
          assert.equal(out.code, 0, `${source}: ${new TextDecoder().decode(out.stderr)}`);
        }
      }
      const install = await new Deno.Command(Deno.execPath(), {
        args: ["install", "--frozen"],
        cwd: dir,
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
      const run = upToSnapshot.match(/^RUN (deno run .*python\/snapshot_main\.ts)$/m);
      assert.ok(run, "the snapshot RUN line");
      const [, ...args] = run[1].split(" ");
      const snapshot = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: dir,
        env: { FAAS_SNAPSHOT_DIR: cache },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(snapshot.code, 0, new TextDecoder().decode(snapshot.stderr));
      assert.ok([...Deno.readDirSync(cache)].some((e) => e.name.endsWith(".snapshot")));
    } finally {
      Deno.removeSync(dir, { recursive: true });
      Deno.removeSync(cache, { recursive: true });
    }
  },
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
