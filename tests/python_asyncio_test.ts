/**
 * Python code that blocks on a coroutine (asyncio.run, run_until_complete)
 * works as in CPython, is stopped at its timeout like any run, and a run
 * stopped that way never resumes in a later run.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { sessionClient } from "./helpers/sessions.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "python code blocks on coroutines as in CPython",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_IDLE_TIMEOUT: "1000" });
    try {
      await t.step("asyncio.run returns the coroutine's value, tasks and all", async () => {
        const { status, body } = await server.run({
          language: "python",
          code: [
            "import asyncio",
            "async def double(x):",
            "    await asyncio.sleep(0.01)",
            "    print('doubled', x)",
            "    return x * 2",
            "async def main():",
            "    return await asyncio.gather(*(double(i) for i in range(3)))",
            "asyncio.run(main())",
          ].join("\n"),
        });
        assert.equal(status, 200);
        assert.equal(body.metadata.status, "success", JSON.stringify(body));
        assert.equal(body.output.ret_val, "[0, 2, 4]");
        assert.equal(body.output.stdout, "doubled 0\ndoubled 1\ndoubled 2\n");
      });

      await t.step("a new event loop's run_until_complete works too", async () => {
        const { body } = await server.run({
          language: "python",
          code: [
            "import asyncio",
            "loop = asyncio.new_event_loop()",
            "value = loop.run_until_complete(asyncio.sleep(0.01, result=INPUT['n']))",
            "loop.close()",
            "value + 1",
          ].join("\n"),
          input: { n: 41 },
        });
        assert.equal(body.metadata.status, "success", JSON.stringify(body));
        assert.equal(body.output.ret_val, "42");
      });

      await t.step("an exception inside asyncio.run is the run's error", async () => {
        const { body } = await server.run({
          language: "python",
          code:
            "import asyncio\nasync def main():\n    raise ValueError('no')\nasyncio.run(main())",
        });
        assert.equal(body.metadata.status, "error");
        assert.match(body.output.stderr, /ValueError: no/);
      });

      await t.step("a busy loop inside asyncio.run stops at its timeout", async () => {
        const started = performance.now();
        const { body } = await server.run({
          language: "python",
          code:
            "import asyncio\nasync def main():\n    while True:\n        pass\nasyncio.run(main())",
          timeout: 1000,
        });
        assert.equal(body.metadata.status, "timeout", JSON.stringify(body));
        assert.ok(performance.now() - started < 3000);
      });

      await t.step("a run stopped while blocked never resumes in a later run", async () => {
        const code = [
          "import asyncio",
          "async def main():",
          "    print('start', INPUT)",
          "    if INPUT == 'hang':",
          "        await asyncio.sleep(2.5)",
          "        print('late')",
          "    return INPUT",
          "asyncio.run(main())",
        ].join("\n");
        const hung = await server.run({ language: "python", code, input: "hang", timeout: 1000 });
        assert.equal(hung.body.metadata.status, "timeout", JSON.stringify(hung.body));
        // (What it printed is kept unless a starved machine made its host
        // miss the stop's grace period, when the host is killed instead.)
        assert.ok(!hung.body.output.stdout.includes("late"), JSON.stringify(hung.body));
        // The same code is the same key: its later runs would share the
        // stopped run's instance if it were kept.
        const outputs: string[] = [];
        const instances = new Set<unknown>();
        for (let i = 0; i < 4; i++) {
          const { body } = await server.run({ language: "python", code, input: `fast ${i}` });
          assert.equal(body.metadata.status, "success", JSON.stringify(body));
          outputs.push(body.output.stdout);
          instances.add(body.metadata.instance_id);
          await sleep(700);
        }
        assert.deepEqual(outputs, [0, 1, 2, 3].map((i) => `start fast ${i}\n`));
        assert.ok(
          !instances.has(hung.body.metadata.instance_id),
          "the stopped run's instance ran on",
        );
      });

      await t.step(
        "a session's asyncio.run keeps what it defines; stopped while blocked, it ends",
        async () => {
          const client = sessionClient(server.url);
          const made = await client.create("python", { ttl_s: 60 });
          assert.equal(made.status, 201, JSON.stringify(made.body));
          const id = made.body.id;
          try {
            const first = await client.run(
              id,
              "import asyncio\nasync def fetch(x):\n    await asyncio.sleep(0)\n    return x\n" +
                "kept = asyncio.run(fetch(20))",
            );
            assert.equal(first.body.metadata.status, "success", JSON.stringify(first.body));
            const second = await client.run(id, "asyncio.run(fetch(kept + 1)) * 2");
            assert.equal(second.body.metadata.status, "success", JSON.stringify(second.body));
            assert.equal(second.body.output.ret_val, "42");
            // decimal's context is the interpreter's; a ContextVar set at a
            // run's top level goes with that run.
            const set = await client.run(
              id,
              "import contextvars, decimal\ncv = contextvars.ContextVar('cv', default=0)\n" +
                "cv.set(5)\ndecimal.getcontext().prec = 6",
            );
            assert.equal(set.body.metadata.status, "success", JSON.stringify(set.body));
            const read = await client.run(id, "(cv.get(), str(decimal.Decimal(1) / 3))");
            assert.deepEqual(read.body.output.ret_json, [0, "0.333333"], JSON.stringify(read.body));
            // Stopped while blocked, its stack would resume in a later run:
            // the session ends and says so.
            const hung = await client.run(id, "asyncio.run(asyncio.sleep(30))", { timeout: 500 });
            assert.equal(hung.body.metadata.status, "timeout", JSON.stringify(hung.body));
            const after = await client.run(id, "kept");
            assert.equal(after.status, 410, JSON.stringify(after.body));
            assert.match(after.body.error, /Session is gone/);
          } finally {
            await client.remove(id);
          }
        },
      );
    } finally {
      await server.close();
    }
  },
});
