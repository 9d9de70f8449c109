/**
 * Files and arguments of a run: modules the code imports, data it reads,
 * `sys.argv` / `process.argv`, and that none of it outlives the run.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

Deno.test("run files and arguments", async (t) => {
  const server = await startServer({ FAAS_ISOLATION: "tenant" });
  try {
    await t.step(
      "python imports a given module, reads data files and sees its arguments",
      async () => {
        const { status, body } = await server.run({
          language: "python",
          tenant: "files-a",
          code: [
            "import sys, helper",
            "from pkg.inner import VALUE",
            "print(sys.argv[1:], helper.double(21), VALUE)",
            "print(open('data/notes.txt').read())",
            "list(open('blob.bin', 'rb').read())",
          ].join("\n"),
          args: ["--flag", "two words"],
          files: [
            { name: "helper.py", content: "def double(x):\n    return x * 2\n" },
            { name: "pkg/__init__.py", content: "" },
            { name: "pkg/inner.py", content: "VALUE = 'inner'" },
            { name: "data/notes.txt", content: "line one" },
            { name: "blob.bin", content: b64([0, 255, 128, 10]), encoding: "base64" },
          ],
        });
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(body.output.stderr, "");
        assert.equal(body.output.stdout, "['--flag', 'two words'] 42 inner\nline one\n");
        assert.equal(body.output.ret_val, "[0, 255, 128, 10]");
      },
    );

    await t.step("the next python run of the same instance finds none of it", async () => {
      const { body } = await server.run({
        language: "python",
        tenant: "files-a",
        code: [
          "import os, sys",
          "print(sorted(os.listdir('.')), sys.argv[1:], 'helper' in sys.modules, 'pkg' in sys.modules)",
          "import helper",
        ].join("\n"),
      });
      assert.equal(body.output.stdout, "[] [] False False\n");
      assert.match(body.output.stderr, /ModuleNotFoundError: No module named 'helper'/);
    });

    await t.step(
      "javascript requires and imports given files, reads them and sees its arguments",
      async () => {
        const { status, body } = await server.run({
          language: "javascript",
          tenant: "files-a",
          code: [
            'import { triple } from "./lib/math.js";',
            'import greet, { name } from "./greet.ts";',
            'import * as all from "./lib/math.js";',
            'const fs = require("fs");',
            'const config = require("./config.json");',
            "console.log(process.argv.slice(2), Deno.args, triple(3), greet(name), Object.keys(all).sort());",
            'console.log(fs.readFileSync("data.txt", "utf8"), Deno.readTextFileSync("./data.txt"), config.level);',
            'return [...fs.readFileSync("blob.bin")];',
          ].join("\n"),
          args: ["a", "b c"],
          files: [
            {
              name: "lib/math.js",
              content: "export function triple(x) { return x * 3 }\nexport const unit = 1;\n",
            },
            {
              name: "greet.ts",
              content: 'import { unit } from "./lib/math.js";\n' +
                "export const name: string = 'you';\n" +
                "export default function greet(who: string): string { return `hi ${who} ${unit}` }\n",
            },
            { name: "config.json", content: '{"level": 7}' },
            { name: "data.txt", content: "text" },
            { name: "blob.bin", content: b64([1, 2, 250]), encoding: "base64" },
          ],
        });
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(body.output.stderr, "");
        assert.equal(
          body.output.stdout,
          '[ "a", "b c" ] [ "a", "b c" ] 9 hi you 1 [ "triple", "unit" ]\ntext text 7\n',
        );
        assert.equal(body.output.ret_val, "[1,2,250]");
      },
    );

    await t.step("a typescript entry point imports given files too", async () => {
      const { status, body } = await server.run({
        language: "typescript",
        tenant: "files-ts",
        code: [
          'import { twice } from "./twice.ts";',
          'import type { Shape } from "./twice.ts";',
          "const s: Shape = { n: 21 };",
          "return twice(s.n);",
        ].join("\n"),
        files: [{
          name: "twice.ts",
          content: "export interface Shape { n: number }\n" +
            "export function twice(x: number): number { return x * 2 }\n",
        }],
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.output.ret_val, "42", JSON.stringify(body));
    });

    await t.step("the next javascript run finds none of it", async () => {
      const { body } = await server.run({
        language: "javascript",
        tenant: "files-a",
        code: 'const fs = require("fs");\n' +
          'console.log(fs.existsSync("data.txt"), fs.readdirSync("."), process.argv.length);\n' +
          'require("./lib/math.js");',
      });
      assert.equal(body.output.stdout, "false [] 2\n");
      assert.match(body.output.stderr, /Cannot find module '\.\/lib\/math\.js'/);
      assert.equal(body.metadata.status, "error");
    });

    await t.step("javascript reads standard input through fs, as judges' programs do", async () => {
      const { body } = await server.run({
        language: "javascript",
        tenant: "files-a",
        stdin: "3 4\nhé\n",
        code: 'const fs = require("fs");\n' +
          'const [a, b] = fs.readFileSync(0, "utf-8").split(/\\s+/).map(Number);\n' +
          'console.log(a + b, fs.readFileSync("/dev/stdin", "utf8").split("\\n")[1], fs.readFileSync(0).length);',
      });
      assert.equal(body.output.stderr, "");
      assert.equal(body.output.stdout, "7 hé 8\n");
    });

    await t.step("a module that fails names its file", async () => {
      const { body } = await server.run({
        language: "typescript",
        tenant: "files-a",
        code: 'const m = require("./bad.ts");',
        files: [{
          name: "bad.ts",
          content: "export const x: number = 1;\nthrow new Error('boom');",
        }],
      });
      assert.equal(body.metadata.status, "error");
      assert.match(body.output.stderr, /Error: boom\n\s+at .*bad\.ts:2/);
      const broken = await server.run({
        language: "javascript",
        tenant: "files-a",
        code: 'require("./broken.js");',
        files: [{ name: "broken.js", content: "function (" }],
      });
      assert.match(broken.body.output.stderr, /SyntaxError: .*\(in broken\.js\)/);
    });

    await t.step("bad files and arguments are refused naming the field", async () => {
      const { status, body } = await server.run({
        language: "python",
        code: "print(1)",
        args: ["ok", 3],
        files: [
          { name: "../escape.py", content: "" },
          { name: "/abs.py", content: "" },
          { name: "x.bin", content: "not base64!", encoding: "base64" },
          { name: "enc.txt", content: "", encoding: "latin-1" },
        ],
      });
      assert.equal(status, 400);
      const fields = body.details!.map((d) => d.field).sort();
      assert.deepEqual(fields, [
        "args.1",
        "files.0.name",
        "files.1.name",
        "files.2.content",
        "files.3.encoding",
      ]);
      const twice = await server.run({
        language: "python",
        code: "print(1)",
        files: [{ name: "same.py", content: "" }, { name: "same.py", content: "" }],
      });
      assert.equal(twice.status, 400);
      assert.deepEqual(twice.body.details, [
        { field: "files.1.name", message: 'Duplicate file name "same.py"' },
      ]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a run's files stay with its isolation key", async (t) => {
  const server = await startServer({ FAAS_ISOLATION: "tenant" });
  const hunt = {
    python: "import os\n" +
      "found = []\n" +
      "for root in ('.', '/home', '/tmp'):\n" +
      "    for d, _, names in os.walk(root):\n" +
      "        for n in names:\n" +
      "            p = os.path.join(d, n)\n" +
      "            try:\n" +
      "                if 'S3CRET-FILE' in open(p, errors='ignore').read(): found.append(p)\n" +
      "            except Exception: pass\n" +
      "print('found', found)",
    javascript: 'const fs = require("fs");\n' +
      'console.log("found", JSON.stringify(fs.readdirSync(".").filter((n) => fs.readFileSync(n, "utf8").includes("S3CRET-FILE"))));',
  };
  try {
    for (const language of ["python", "javascript"] as const) {
      await t.step(`${language}: attacker, victim with a secret file, collector`, async () => {
        const attacker = await server.run({ language, tenant: "attacker", code: hunt[language] });
        assert.equal(attacker.status, 200);
        const victim = await server.run({
          language,
          tenant: "victim",
          code: language === "python"
            ? "print(open('secret.txt').read())"
            : 'console.log(require("fs").readFileSync("secret.txt", "utf8"))',
          files: [{ name: "secret.txt", content: "S3CRET-FILE" }],
        });
        assert.equal(victim.body.output.stdout, "S3CRET-FILE\n");
        const collector = await server.run({ language, tenant: "attacker", code: hunt[language] });
        assert.equal(collector.body.output.stderr, "");
        assert.equal(collector.body.output.stdout, "found []\n");
        assert.doesNotMatch(JSON.stringify(collector.body), /S3CRET-FILE/);
      });
    }
  } finally {
    await server.close();
  }
});

Deno.test("under code isolation a run's files are part of its key", async () => {
  const server = await startServer();
  try {
    const run = (content: string) =>
      server.run({
        language: "python",
        code: "import m\nm.V",
        files: [{ name: "m.py", content }],
      });
    const first = await run("V = 1");
    const again = await run("V = 1");
    const other = await run("V = 2");
    assert.equal(first.body.output.ret_val, "1");
    assert.equal(other.body.output.ret_val, "2");
    assert.equal(again.body.metadata.instance_id, first.body.metadata.instance_id);
    assert.notEqual(other.body.metadata.instance_id, first.body.metadata.instance_id);
  } finally {
    await server.close();
  }
});
