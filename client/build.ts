/**
 * `deno task build:client [outDir]`: compiles client/client.ts to ESM
 * JavaScript and a `.d.ts` (default `dist/client/`), for Node 18+ and
 * bundlers. Uses the TypeScript compiler from npm.
 */
import ts from "typescript";

const outDir = Deno.args[0] ?? new URL("../dist/client/", import.meta.url).pathname;
const source = new URL("./client.ts", import.meta.url).pathname;
const program = ts.createProgram([source], {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  declaration: true,
  strict: true,
  outDir,
  rootDir: new URL(".", import.meta.url).pathname,
  skipLibCheck: true,
});
const result = program.emit();
const problems = ts.getPreEmitDiagnostics(program).concat(result.diagnostics);
for (const d of problems) {
  console.error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}
if (problems.length || result.emitSkipped) Deno.exit(1);
await Deno.writeTextFile(`${outDir}/package.json`, JSON.stringify({ type: "module" }) + "\n");
console.log(`Client built into ${outDir}: client.js, client.d.ts`);
