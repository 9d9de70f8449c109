/**
 * What programs in each language see and produce: output, return values,
 * errors, exits, input, stdin, unicode, large output and async code, run
 * through a real server with real Pyodide and real workers.
 */
import assert from "node:assert/strict";
import { type RunBody, startServer, type TestServer } from "./helpers/server.ts";

/** One program and what its response must show. */
interface Case {
  language: string;
  code: string;
  input?: unknown;
  stdin?: string;
  status?: string;
  stdout?: string | RegExp;
  stderr?: string | RegExp;
  ret?: string;
  exit?: number;
}

function check(body: RunBody, c: Case): void {
  const where = JSON.stringify(body).slice(0, 500);
  assert.equal(body.metadata.status, c.status ?? "success", where);
  if (c.stdout !== undefined) {
    if (c.stdout instanceof RegExp) assert.match(body.output.stdout, c.stdout, where);
    else assert.equal(body.output.stdout, c.stdout, where);
  }
  if (c.stderr !== undefined) {
    if (c.stderr instanceof RegExp) assert.match(body.output.stderr, c.stderr, where);
    else assert.equal(body.output.stderr, c.stderr, where);
  }
  if (c.ret !== undefined) assert.equal(body.output.ret_val, c.ret, where);
  if (c.exit !== undefined) assert.equal(body.metadata.exit_code, c.exit, where);
  // A run's own failure is not a service error.
  if (["success", "error"].includes(body.metadata.status)) assert.equal(body.error, undefined);
}

const cases: Record<string, Case> = {
  // Python
  "python prints": {
    language: "python",
    code: "print('hello')\nprint(1, 2)",
    stdout: "hello\n1 2\n",
  },
  "python returns the last expression as JSON": {
    language: "python",
    code: "x = {'a': [1, 2], 'b': None}\nx",
    ret: '{"a": [1, 2], "b": null}',
  },
  "python returns a string as it is": { language: "python", code: "'plain'", ret: "plain" },
  "python falls back to repr": { language: "python", code: "{1, 2}", ret: "{1, 2}" },
  "python returns nothing for None and statements": {
    language: "python",
    code: "x = 1\nNone",
    ret: "",
  },
  "python return_val sets ret_val explicitly": {
    language: "python",
    code: "return_val({'ok': True})\n42",
    ret: '{"ok": true}',
  },
  "python code may define its own return_val": {
    language: "python",
    code: "def return_val(v):\n    return 'mine'\nreturn_val(1)",
    ret: "mine",
  },
  "python raise gives a clean traceback": {
    language: "python",
    code: "def f():\n    raise ValueError('bad value')\nf()",
    status: "error",
    stderr:
      /^Traceback \(most recent call last\):\n {2}File "<exec>", line 3, in <module>\n {2}File "<exec>", line 2, in f\nValueError: bad value\n$/,
    exit: 1,
  },
  "python syntax error": {
    language: "python",
    code: "def f(:\n  pass",
    status: "error",
    stderr: /SyntaxError/,
  },
  "python sys.exit(3)": {
    language: "python",
    code: "import sys\nprint('a')\nsys.exit(3)",
    status: "error",
    stdout: "a\n",
    exit: 3,
  },
  "python sys.exit(0)": {
    language: "python",
    code: "import sys\nsys.exit(0)",
    status: "success",
    exit: 0,
  },
  "python sys.exit with a message": {
    language: "python",
    code: "import sys\nsys.exit('fatal')",
    status: "error",
    stderr: "fatal\n",
    exit: 1,
  },
  "python reads INPUT": { language: "python", code: "INPUT['n'] * 2", input: { n: 21 }, ret: "42" },
  "python INPUT is None without input": { language: "python", code: "INPUT is None", ret: "true" },
  "python input() stays the builtin": {
    language: "python",
    code: "name = input()\nf'hi {name}'",
    stdin: "ada\n",
    ret: "hi ada",
  },
  "python reads stdin": {
    language: "python",
    code: "import sys\nsys.stdin.read().upper()",
    stdin: "abc",
    ret: "ABC",
  },
  "python prints unicode": {
    language: "python",
    code: "print('héllo 世界 😀')\n'✓'",
    stdout: "héllo 世界 😀\n",
    ret: "✓",
  },
  "python unflushed output is kept": {
    language: "python",
    code: "import sys\nsys.stdout.write('no newline')",
    stdout: "no newline",
  },
  "python stderr": {
    language: "python",
    code: "import sys\nprint('warn', file=sys.stderr)",
    stderr: "warn\n",
  },
  "python top-level await": {
    language: "python",
    code:
      "import asyncio\nawait asyncio.sleep(0.01)\nresult = await asyncio.gather(*(asyncio.sleep(0, i) for i in range(3)))\nresult",
    ret: "[0, 1, 2]",
  },
  "python asyncio.run-free coroutine error": {
    language: "python",
    code: "async def f():\n    raise KeyError('k')\nawait f()",
    status: "error",
    stderr: /KeyError: 'k'/,
  },
  "python compat markers": {
    language: "python",
    code:
      "print('log')\nprint('__COZE_RETURN_VAL_START__')\nprint('{\"x\": 1}')\nprint('__COZE_RETURN_VAL_END__')",
    stdout: "log\n",
    ret: '{"x": 1}',
  },
  "python last JSON line": {
    language: "python",
    code: "import json\nprint('step')\nprint(json.dumps({'score': 1}))",
    stdout: 'step\n{"score": 1}\n',
    ret: '{"score": 1}',
  },
  // JavaScript
  "javascript prints": {
    language: "javascript",
    code: "console.log('hello', 1, { a: [1] })",
    stdout: "hello 1 { a: [ 1 ] }\n",
  },
  "javascript returns JSON": {
    language: "js",
    code: "return { a: [1, 2], b: null }",
    ret: '{"a":[1,2],"b":null}',
  },
  "javascript returns a string as it is": {
    language: "node",
    code: "return 'plain'",
    ret: "plain",
  },
  "javascript returns nothing for undefined": { language: "js", code: "const x = 1;", ret: "" },
  "javascript return_val": { language: "js", code: "return_val([1]); return 2", ret: "[1]" },
  "javascript throw gives a clean stack": {
    language: "js",
    code: "function f() {\n  throw new TypeError('bad');\n}\nf();",
    status: "error",
    stderr: /^Uncaught TypeError: bad\n {4}at f \(user\.js:2:9\)\n {4}at user\.js:4:1\n$/,
    exit: 1,
  },
  "javascript throws a non-error": {
    language: "js",
    code: "throw { code: 7 }",
    status: "error",
    stderr: "Uncaught { code: 7 }\n",
  },
  "javascript syntax error": {
    language: "js",
    code: "let = ;",
    status: "error",
    stderr: /SyntaxError/,
  },
  "javascript process.exit(3)": {
    language: "js",
    code: "console.log('a'); process.exit(3); console.log('b')",
    status: "error",
    stdout: "a\n",
    exit: 3,
  },
  "javascript Deno.exit(0)": { language: "js", code: "Deno.exit(0)", status: "success", exit: 0 },
  "javascript reads INPUT and STDIN": {
    language: "js",
    code: "return INPUT.n * 2 + STDIN.length",
    input: { n: 20 },
    stdin: "ab",
    ret: "42",
  },
  "javascript prints unicode": {
    language: "js",
    code: "console.log('héllo 世界 😀'); return '✓'",
    stdout: "héllo 世界 😀\n",
    ret: "✓",
  },
  "javascript console.error goes to stderr": {
    language: "js",
    code: "console.error('oops'); console.warn('w')",
    stderr: "oops\nw\n",
  },
  "javascript top-level await": {
    language: "js",
    code:
      "await new Promise((r) => setTimeout(r, 10));\nconst xs = await Promise.all([1, 2].map(async (x) => x * 2));\nreturn xs",
    ret: "[2,4]",
  },
  "javascript rejected await": {
    language: "js",
    code: "await Promise.reject(new Error('no'))",
    status: "error",
    stderr: /Uncaught Error: no/,
  },
  "javascript error in a timer ends the run": {
    language: "js",
    code:
      "setTimeout(() => { throw new Error('late') }, 0); await new Promise((r) => setTimeout(r, 100));",
    status: "error",
    stderr: /late/,
  },
  "javascript compat markers": {
    language: "js",
    code: "console.log('__COZE_RETURN_VAL_START__\\n42\\n__COZE_RETURN_VAL_END__')",
    stdout: "",
    ret: "42",
  },
  // TypeScript
  "typescript types, interfaces and generics": {
    language: "typescript",
    code:
      "interface P { name: string }\nfunction first<T>(xs: T[]): T { return xs[0]; }\nconst p: P = { name: first<string>(['ada']) };\nreturn p.name",
    ret: "ada",
  },
  "typescript enums": {
    language: "ts",
    code: "enum Color { Red = 1, Green }\nreturn Color.Green",
    ret: "2",
  },
  "typescript throw": {
    language: "ts",
    code: "const f = (x: number): never => { throw new Error(`x=${x}`) };\nf(1)",
    status: "error",
    stderr: /Uncaught Error: x=1\n {4}at f \(user\.ts:1/,
  },
  "typescript syntax error": {
    language: "ts",
    code: "let y: = 3",
    status: "error",
    stderr: /SyntaxError.*\n {4}at user\.ts:1:8/,
  },
  "typescript await and INPUT": {
    language: "TS",
    code: "const xs: number[] = INPUT;\nawait null;\nreturn xs.reduce((a, b) => a + b, 0)",
    input: [1, 2, 3],
    ret: "6",
  },
};

Deno.test({
  name: "programs in every language run as documented",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server: TestServer = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_OUTPUT_BYTES: String(64 * 1024),
    });

    for (const [name, c] of Object.entries(cases)) {
      await t.step(name, async () => {
        const { status, body } = await server.run({
          language: c.language,
          code: c.code,
          input: c.input,
          stdin: c.stdin,
          timeout: 10000,
        });
        assert.equal(status, 200);
        check(body, c);
      });
    }

    for (const language of ["python", "javascript"]) {
      await t.step(`${language}: huge output is cut at the cap with truncated`, async () => {
        const code = language === "python"
          ? "print('é' * (5 * 1024 * 1024))"
          : "console.log('é'.repeat(5 * 1024 * 1024)); return 'done'";
        const { body } = await server.run({ language, code });
        assert.equal(body.metadata.status, "success");
        assert.equal(body.metadata.truncated, true);
        const bytes = new TextEncoder().encode(body.output.stdout).length;
        assert.ok(bytes <= 64 * 1024 && bytes > 60 * 1024, `${bytes} bytes`);
        assert.match(body.output.stdout, /^é+$/);
      });

      await t.step(`${language}: output under the cap is not truncated`, async () => {
        const code = language === "python" ? "print('x' * 1000)" : "console.log('x'.repeat(1000))";
        const { body } = await server.run({ language, code });
        assert.equal(body.metadata.truncated, false);
        assert.equal(body.output.stdout.length, 1001);
      });
    }

    await t.step("metadata is complete", async () => {
      const { body } = await server.run({ language: "py", code: "1" });
      const m = body.metadata;
      assert.match(String(m.task_id), /^[0-9a-f-]{36}$/);
      assert.match(String(m.instance_id), /^py-\d+\/\d+$/);
      assert.ok(["warm", "spare", "new"].includes(String(m.instance_source)));
      assert.equal(m.language, "python");
      assert.equal(typeof m.duration, "number");
      assert.equal(typeof m.queue_ms, "number");
      assert.equal(m.exit_code, 0);
      const pool = m.pool_stats as Record<string, number>;
      assert.equal(pool.totalInstances, 2);
      assert.equal(pool.idleInstances + pool.activeInstances <= 2, true);
    });

    await server.close();
  },
});
