/**
 * `return_files`: the files a run leaves in its working directory come back
 * in the response, selected by glob, capped (and said so), and never from
 * an earlier run of the same instance.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

interface Returned {
  name: string;
  size: number;
  content_base64: string;
}

const text = (f: Returned) => new TextDecoder().decode(bytes(f));
const bytes = (f: Returned) => Uint8Array.from(atob(f.content_base64), (c) => c.charCodeAt(0));
const filesOf = (body: unknown) => (body as { files?: Returned[] }).files;

Deno.test("return_files", async (t) => {
  const server = await startServer({ FAAS_ISOLATION: "tenant", FAAS_MAX_OUTPUT_BYTES: "4096" });
  try {
    await t.step("python writes text, binary and nested files; globs pick them", async () => {
      const { status, body } = await server.run({
        language: "python",
        tenant: "rf-py",
        code: [
          "import os",
          "os.makedirs('out/deep', exist_ok=True)",
          "open('out/a.txt', 'w').write('hello')",
          "open('out/deep/b.bin', 'wb').write(bytes([0, 255, 7]))",
          "open('skip.log', 'w').write('no')",
          "open('top.csv', 'w').write('x,y')",
        ].join("\n"),
        return_files: ["out/**", "*.csv"],
      });
      assert.equal(status, 200, JSON.stringify(body));
      const files = filesOf(body)!;
      assert.deepEqual(files.map((f) => f.name), ["out/a.txt", "out/deep/b.bin", "top.csv"]);
      assert.equal(text(files[0]), "hello");
      assert.deepEqual([...bytes(files[1])], [0, 255, 7]);
      assert.equal(files[1].size, 3);
      assert.equal(body.metadata.files_truncated, false);
    });

    await t.step("the next run of the same instance gets none of them", async () => {
      const { body } = await server.run({
        language: "python",
        tenant: "rf-py",
        code: "import os\nprint(sorted(os.listdir('.')))",
        return_files: ["**"],
      });
      assert.deepEqual(filesOf(body), []);
      assert.equal(body.output.stdout, "[]\n");
    });

    await t.step("javascript writes files through fs and Deno; globs pick them", async () => {
      const { status, body } = await server.run({
        language: "javascript",
        tenant: "rf-js",
        code: [
          'const fs = require("fs");',
          'fs.mkdirSync("out", { recursive: true });',
          'fs.writeFileSync("out/a.txt", "one");',
          'fs.appendFileSync("out/a.txt", "+two");',
          'fs.writeFileSync("out/b.bin", new Uint8Array([1, 2, 250]));',
          'await fs.promises.writeFile("out/c.txt", "p");',
          'Deno.writeTextFileSync("out/d/e.txt", "deno");',
          'await Deno.writeFile("f.bin", new Uint8Array([9]));',
          'fs.writeFileSync("gone.txt", "x"); fs.unlinkSync("gone.txt");',
          'console.log(fs.readFileSync("out/a.txt", "utf8"), fs.existsSync("out/d"), fs.readdirSync("out"));',
        ].join("\n"),
        return_files: ["out/**", "?.bin", "gone.txt"],
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.output.stderr, "");
      assert.equal(body.output.stdout, 'one+two true [ "a.txt", "b.bin", "c.txt", "d" ]\n');
      const files = filesOf(body)!;
      assert.deepEqual(files.map((f) => f.name), [
        "f.bin",
        "out/a.txt",
        "out/b.bin",
        "out/c.txt",
        "out/d/e.txt",
      ]);
      assert.equal(text(files[1]), "one+two");
      assert.deepEqual([...bytes(files[2])], [1, 2, 250]);
      assert.equal(files[2].size, 3);
    });

    await t.step("the next javascript run does not see them", async () => {
      const { body } = await server.run({
        language: "javascript",
        tenant: "rf-js",
        code: 'return require("fs").readdirSync(".")',
        return_files: ["**"],
      });
      assert.deepEqual(filesOf(body), []);
      assert.equal(body.output.ret_val, "[]");
    });

    await t.step("caps: past the byte budget and 100 files, the rest are named", async () => {
      const { body } = await server.run({
        language: "python",
        tenant: "rf-caps",
        code: [
          "open('big.txt', 'w').write('x' * 5000)",
          "for i in range(120): open(f'f{i:03}.txt', 'w').write('y')",
        ].join("\n"),
        return_files: ["*.txt"],
      });
      const files = filesOf(body)!;
      assert.equal(files.length, 100);
      assert.equal(files[0].name, "f000.txt");
      assert.equal(body.metadata.files_truncated, true);
      const omitted = body.metadata.files_omitted as string[];
      assert.equal(omitted.length, 21);
      assert.ok(omitted.includes("big.txt") && omitted.includes("f119.txt"), omitted.join());
    });

    await t.step("a run given files hands back the ones it was given, too", async () => {
      const { body } = await server.run({
        language: "javascript",
        code: "return 1",
        files: [{ name: "in/data.txt", content: "given" }],
        return_files: ["in/*"],
      });
      assert.deepEqual(filesOf(body)!.map(text), ["given"]);
    });

    await t.step("bad patterns answer 400 naming return_files.<i>", async () => {
      for (const pattern of ["/abs", "a/../b", "a**b", ""]) {
        const { status, body } = await server.run({
          language: "python",
          code: "1",
          return_files: ["ok.txt", pattern],
        });
        assert.equal(status, 400, pattern);
        assert.equal(body.details?.[0].field, "return_files.1", JSON.stringify(body));
      }
      const many = await server.run({
        language: "python",
        code: "1",
        return_files: Array.from({ length: 21 }, (_, i) => `f${i}`),
      });
      assert.equal(many.status, 400);
      assert.equal(many.body.details?.[0].field, "return_files");
    });

    await t.step("without return_files there is no files field", async () => {
      const { body } = await server.run({ language: "python", code: "open('a', 'w')" });
      assert.equal(filesOf(body), undefined);
      assert.equal(body.metadata.files_truncated, undefined);
    });
  } finally {
    await server.close();
  }
});
