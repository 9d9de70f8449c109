import assert from "node:assert/strict";
import type { z } from "zod";
import type { runRequestSchema } from "../routes/run_request.ts";
import type { runResponseSchema } from "../routes/schemas.ts";
import { startServer } from "../tests/helpers/server.ts";
import { type RunRequest, type RunResponse, SandboxClient, SandboxError } from "./client.ts";

// The client's types are written out (it imports nothing); type-checking
// this file checks them against the schemas the server validates with and
// its OpenAPI document is generated from: any drift fails `deno test`.
const _requestAccepted = (r: RunRequest): z.input<typeof runRequestSchema> => ({ ...r });
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
const _responseSame: Same<RunResponse, z.infer<typeof runResponseSchema>> = true;

Deno.test({
  name: "client runs code, retries on 429 honouring Retry-After, and reports errors",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // No queue: a run that finds no idle instance is refused with 429.
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_MAX_QUEUE: "0",
    });
    const statuses: number[] = [];
    const client = new SandboxClient({
      baseUrl: server.url + "/",
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      },
    });

    await t.step("runs code and returns the typed response", async () => {
      const res = await client.run({
        language: "ts",
        code: "const n: number = INPUT; return n * 2",
        input: 21,
      });
      assert.equal(res.output.ret_val, "42");
      assert.equal(res.metadata.status, "success");
    });

    await t.step("retries a 429 after Retry-After and then succeeds", async () => {
      statuses.length = 0;
      const busy = client.run({ language: "python", code: "import time\ntime.sleep(0.5)" });
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      const res = await client.run({ language: "python", code: "'after retry'" });
      assert.equal(res.output.ret_val, "after retry");
      assert.ok(statuses.includes(429), JSON.stringify(statuses));
      assert.ok(performance.now() - started >= 900, "waited for Retry-After: 1");
      await busy;
    });

    await t.step("does not retry a 400 and exposes the field details", async () => {
      statuses.length = 0;
      await assert.rejects(
        () => client.run({ language: "python", code: "" }),
        (e: unknown) =>
          e instanceof SandboxError && e.status === 400 && e.details[0].field === "code",
      );
      assert.deepEqual(statuses, [400]);
    });

    await t.step("gives up after its retries", async () => {
      const impatient = new SandboxClient({ baseUrl: server.url, retries: 0 });
      const busy = impatient.run({ language: "python", code: "import time\ntime.sleep(0.3)" });
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(
        () => impatient.run({ language: "python", code: "1" }),
        (e: unknown) => e instanceof SandboxError && e.status === 429,
      );
      await busy;
    });

    await server.close();
  },
});
