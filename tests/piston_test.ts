/**
 * Piston v2 compatibility, driven by the unmodified `piston-client` npm
 * package and by Piston's documented requests.
 */
import assert from "node:assert/strict";
import piston from "piston-client";
import { startServer, type TestServer } from "./helpers/server.ts";

interface PistonStage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: string | null;
  cpu_time: number | null;
  wall_time: number | null;
  memory: number | null;
}

interface PistonResult {
  language: string;
  version: string;
  run: PistonStage;
  compile?: PistonStage;
  warnings?: string[];
  message?: string;
}

async function execute(server: TestServer, body: unknown, path = "/api/v2/execute") {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as PistonResult };
}

/** Checks every field of a stage has Piston's type. */
function assertStageShape(stage: PistonStage) {
  for (const key of ["stdout", "stderr", "output"] as const) {
    assert.equal(typeof stage[key], "string", key);
  }
  for (const key of ["code", "cpu_time", "wall_time", "memory"] as const) {
    assert.ok(stage[key] === null || typeof stage[key] === "number", key);
  }
  for (const key of ["signal", "message", "status"] as const) {
    assert.ok(stage[key] === null || typeof stage[key] === "string", key);
  }
}

Deno.test("piston v2 clients work unchanged", async (t) => {
  const server = await startServer();
  try {
    const client = piston({ server: server.url });

    await t.step("piston-client lists the runtimes", async () => {
      const runtimes = await client.runtimes() as {
        language: string;
        version: string;
        aliases: string[];
        runtime: string;
      }[];
      assert.deepEqual(runtimes.map((r) => r.language), ["python", "javascript", "typescript"]);
      for (const rt of runtimes) {
        assert.match(rt.version, /^\d+\.\d+\.\d+$/);
        assert.ok(Array.isArray(rt.aliases));
      }
      assert.ok(runtimes[0].aliases.includes("py"));
      assert.equal(runtimes[1].runtime, "deno");
    });

    await t.step("piston-client runs python with its default args and stdin", async () => {
      const result = await client.execute(
        "python",
        "import sys\nprint('Hello World!', sys.argv[1:])\nprint(repr(input()))",
      ) as PistonResult;
      assert.equal(result.language, "python");
      assertStageShape(result.run);
      assert.equal(result.run.stdout, "Hello World! ['1', '2', '3']\n''\n");
      assert.equal(result.run.code, 0);
      assert.equal(result.run.signal, null);
      assert.equal(result.run.status, null);
      assert.equal(result.run.output, result.run.stdout);
    });

    await t.step("piston-client runs javascript and typescript with config", async () => {
      const js = await client.execute("javascript", 'console.log("js", process.argv.slice(2))', {
        args: ["x"],
      }) as PistonResult;
      assert.equal(js.run.stdout, 'js [ "x" ]\n');
      const ts = await client.execute({
        language: "typescript",
        files: [{ name: "main.ts", content: "const n: number = 4;\nconsole.log(n * 2);" }],
        stdin: "",
      }) as PistonResult;
      assert.equal(ts.run.stdout, "8\n");
      assert.equal(ts.compile?.code, 0);
    });

    await t.step("piston-client's javascript reads stdin through readline", async () => {
      const result = await client.execute({
        language: "javascript",
        files: [{
          content: [
            'const rl = require("readline").createInterface({ input: process.stdin });',
            "const words = [];",
            'rl.on("line", (line) => words.push(line.toUpperCase()));',
            'rl.on("close", () => console.log(words.join(" ")));',
          ].join("\n"),
        }],
        stdin: "piston\nreads\nlines\n",
      }) as PistonResult;
      assert.equal(result.run.stdout, "PISTON READS LINES\n");
      assert.equal(result.run.code, 0);
    });

    await t.step("multi-file programs: the first file runs, the others import", async () => {
      const py = await execute(server, {
        language: "py",
        version: "*",
        files: [
          { name: "main.py", content: "from lib import shout\nprint(shout(input()))" },
          { name: "lib.py", content: "def shout(s):\n    return s.upper() + '!'" },
        ],
        stdin: "hey",
      });
      assert.equal(py.status, 200);
      assert.equal(py.body.run.stdout, "HEY!\n");
      const js = await execute(server, {
        language: "js",
        version: "*",
        files: [
          {
            name: "index.js",
            content: 'const { add } = require("./math");\nconsole.log(add(2, 3));',
          },
          { name: "math.js", content: "module.exports = { add: (a, b) => a + b };" },
          { name: "data.bin", content: "68656c6c6f", encoding: "hex" },
        ],
      });
      assert.equal(js.body.run.stdout, "5\n");
    });

    await t.step("output interleaves stdout and stderr as written", async () => {
      const { body } = await execute(server, {
        language: "python",
        version: "*",
        files: [{
          content: "import sys\nprint('a', flush=True)\nsys.stderr.write('b\\n')\n" +
            "sys.stderr.flush()\nprint('c')",
        }],
      });
      assert.equal(body.run.stdout, "a\nc\n");
      assert.equal(body.run.stderr, "b\n");
      assert.equal(body.run.output, "a\nb\nc\n");
    });

    await t.step("a failing program is RE with its exit code", async () => {
      const { body } = await execute(server, {
        language: "python",
        version: "3",
        files: [{ content: "import sys\nsys.exit(3)" }],
      });
      assert.equal(body.run.status, "RE");
      assert.equal(body.run.code, 3);
      assert.equal(body.run.message, "Exited with error status 3");
    });

    await t.step("a timeout is TO with SIGKILL", async () => {
      const { body } = await execute(server, {
        language: "javascript",
        version: "*",
        files: [{ content: "for (;;) {}" }],
        run_timeout: 500,
      });
      assertStageShape(body.run);
      assert.equal(body.run.status, "TO");
      assert.equal(body.run.signal, "SIGKILL");
      assert.equal(body.run.code, null);
    });

    await t.step("a typescript syntax error fails the compile stage", async () => {
      const { status, body } = await execute(server, {
        language: "typescript",
        version: "*",
        files: [{ content: "let x: = 1;" }],
      });
      assert.equal(status, 200);
      assert.equal(body.compile?.code, 1);
      assert.match(body.compile!.stderr, /SyntaxError/);
      assert.deepEqual(body.run, body.compile);
    });

    await t.step("the piston/ prefix of emkc.org serves the same", async () => {
      const { body } = await execute(server, {
        language: "python",
        version: "*",
        files: [{ content: "print(6 * 7)" }],
      }, "/api/v2/piston/execute");
      assert.equal(body.run.stdout, "42\n");
    });

    await t.step("a lower memory limit than the service's is said, not dropped", async () => {
      const { body } = await execute(server, {
        language: "python",
        version: "*",
        files: [{ content: "print(1)" }],
        run_memory_limit: 1000,
      });
      assert.equal(body.run.stdout, "1\n");
      assert.match(body.warnings![0], /run_memory_limit 1000 was not applied/);
    });

    await t.step("bad requests answer 400 with Piston's message", async () => {
      const cases: [unknown, RegExp][] = [
        [{ version: "*", files: [] }, /^language is required as a string$/],
        [{ language: "python", version: "*" }, /^files is required as an array$/],
        [{ language: "python", version: "*", files: [{}] }, /files\[0\]\.content is required/],
        [
          { language: "cobol", version: "*", files: [{ content: "" }] },
          /cobol-\* runtime is unknown/,
        ],
        [
          { language: "python", version: "2.7", files: [{ content: "" }] },
          /python-2\.7 runtime is unknown/,
        ],
        [
          { language: "python", version: "*", files: [{ content: "aGk=", encoding: "base64" }] },
          /at least one utf8 encoded file/,
        ],
        [
          { language: "python", version: "*", files: [{ content: "x" }], run_timeout: 10_000_000 },
          /run_timeout cannot exceed the configured limit of 300000/,
        ],
        [
          { language: "python", version: "*", files: [{ content: "x" }], run_timeout: "1s" },
          /run_timeout must be a number/,
        ],
        [
          { language: "python", version: "*", files: [{ name: "../x.py", content: "x" }] },
          /files\[0\]\.name/,
        ],
      ];
      for (const [request, message] of cases) {
        const { status, body } = await execute(server, request);
        assert.equal(status, 400, JSON.stringify(request));
        assert.match(String(body.message), message, JSON.stringify(request));
      }
    });
  } finally {
    await server.close();
  }
});
