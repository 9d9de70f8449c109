import assert from "node:assert/strict";
import { hasModuleSyntax, toCommonJs } from "./js_modules.ts";

Deno.test("module rewrite turns static imports and exports into require and exports", async (t) => {
  await t.step("finds module syntax only at a line start", () => {
    assert.equal(hasModuleSyntax('import x from "./x.js"'), true);
    assert.equal(hasModuleSyntax("  export const a = 1"), true);
    assert.equal(hasModuleSyntax('const m = await import("./x.js")'), false);
    assert.equal(hasModuleSyntax("console.log('import x')"), false);
  });

  await t.step("imports become require calls with default interop", () => {
    const out = toCommonJs(
      'import a, { b, c as d } from "./m.js";\nimport * as ns from \'./n.js\';\nimport "./side.js";',
      true,
    );
    const require = (spec: string) =>
      ({
        "./m.js": { __esModule: true, default: "A", b: "B", c: "C" },
        "./n.js": { n: 1 },
        "./side.js": {},
      })[spec];
    const run = new Function("require", `${out}\nreturn [a, b, d, ns];`);
    assert.deepEqual(run(require), ["A", "B", "C", { n: 1 }]);
  });

  await t.step("exports become live getters on exports", () => {
    const out = toCommonJs(
      "export const x = 1;\nexport function f() { return x + 1 }\nlet y = 2;\nexport { y as z };\n" +
        "export default 42;\nexport * from './other.js';",
      false,
    );
    const exports: Record<string, unknown> = {};
    new Function("exports", "require", out)(exports, () => ({ extra: "e", default: "no" }));
    assert.equal(exports.x, 1);
    assert.equal((exports.f as () => number)(), 2);
    assert.equal(exports.z, 2);
    assert.equal(exports.default, 42);
    assert.equal(exports.extra, "e");
    assert.equal(exports.__esModule, true);
  });

  await t.step("in the entry point exports are dropped, not assigned", () => {
    const out = toCommonJs("export const x = 1;\nexport default x;\nexport { x as y };", true);
    assert.doesNotMatch(out, /exports/);
    assert.equal(new Function(`${out}\nreturn x;`)(), 1);
  });
});
