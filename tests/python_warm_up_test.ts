/**
 * A Python instance runs one snippet of its own before it is ready (so a
 * new key's first run finds the run path warm); nothing of it reaches the
 * first caller's run.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "a python instance's warm-up run leaves nothing for its first caller",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_IDLE_TIMEOUT: "1000" });
    try {
      for (const i of [1, 2, 3]) {
        await t.step(`new key ${i}: clean globals, its own output only`, async () => {
          const { body } = await server.run({
            language: "python",
            code: `# new key ${i}\nimport sys\n` +
              "print(sorted(k for k in globals() if not k.startswith('__')))\n" +
              "print(sys.stdout.getvalue() if hasattr(sys.stdout, 'getvalue') else '')\n" +
              "len(sys.argv)",
          });
          assert.equal(body.metadata.status, "success", JSON.stringify(body));
          assert.equal(body.metadata.instance_source, "spare");
          assert.equal(body.output.stdout, "['INPUT', 'return_val', 'sys']\n\n");
          assert.equal(body.output.stderr, "");
          assert.equal(body.output.ret_val, "1");
        });
      }
    } finally {
      await server.close();
    }
  },
});
