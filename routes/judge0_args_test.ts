import assert from "node:assert/strict";
import { splitCommandLine } from "./judge0_args.ts";

Deno.test("command_line_arguments are split like bash splits words", async (t) => {
  const split = (line: string) => splitCommandLine(line);
  await t.step("whitespace separates, runs of it count once", () => {
    assert.deepEqual(split("  a b\t\tc\n d "), { args: ["a", "b", "c", "d"] });
    assert.deepEqual(split(""), { args: [] });
  });
  await t.step("quotes keep whitespace and may be empty", () => {
    assert.deepEqual(split(`'a b' "c  d" '' ""`), { args: ["a b", "c  d", "", ""] });
    assert.deepEqual(split(`x'y z'"w"`), { args: ["xy zw"] });
  });
  await t.step("single quotes are literal, double quotes take a few escapes", () => {
    assert.deepEqual(split(`'a\\"b'`), { args: ['a\\"b'] });
    assert.deepEqual(split(`"a\\"b\\\\c\\n"`), { args: ['a"b\\c\\n'] });
  });
  await t.step("a backslash outside quotes escapes the next character", () => {
    assert.deepEqual(split("a\\ b c\\'d"), { args: ["a b", "c'd"] });
    assert.deepEqual(split("a\\\nb"), { args: ["ab"] });
    assert.deepEqual(split("end\\"), { args: ["end\\"] });
  });
  await t.step("nothing is expanded", () => {
    assert.deepEqual(split("$HOME * ~ `x` a;b"), { args: ["$HOME", "*", "~", "`x`", "a;b"] });
  });
  await t.step("an unclosed quote is a problem", () => {
    assert.deepEqual(split(`a 'b`), { problem: "Has an unclosed single quote" });
    assert.deepEqual(split(`"b`), { problem: "Has an unclosed double quote" });
  });
});
