import assert from "node:assert/strict";
import { extractReturnValue } from "./run_response.ts";

Deno.test("ret_val extraction", async (t) => {
  await t.step("a marker block becomes ret_val and leaves stdout", () => {
    const stdout = 'before\n__COZE_RETURN_VAL_START__\n{"a": 1}\n__COZE_RETURN_VAL_END__\nafter\n';
    assert.deepEqual(extractReturnValue(stdout, "ignored", true), {
      stdout: "before\nafter\n",
      retVal: '{"a": 1}',
      from: "marker",
    });
  });

  await t.step("a multi-line marker block keeps its inner newlines", () => {
    const stdout = "__COZE_RETURN_VAL_START__\nline1\nline2\n__COZE_RETURN_VAL_END__\n";
    assert.deepEqual(extractReturnValue(stdout, "", false), {
      stdout: "",
      retVal: "line1\nline2",
      from: "marker",
    });
  });

  await t.step("markers not on their own line are left alone", () => {
    const stdout = "x __COZE_RETURN_VAL_START__\n1\n__COZE_RETURN_VAL_END__ y\n";
    assert.deepEqual(extractReturnValue(stdout, "r", true), { stdout, retVal: "r" });
  });

  await t.step("a JSON object on the last line is ret_val when nothing set one", () => {
    const stdout = 'log\n{"score": 0.5}\n\n';
    assert.deepEqual(extractReturnValue(stdout, "", false), {
      stdout,
      retVal: '{"score": 0.5}',
      from: "line",
    });
  });

  await t.step("an explicit return value wins over the last JSON line", () => {
    assert.equal(extractReturnValue('{"a": 1}\n', "7", true).retVal, "7");
  });

  await t.step("arrays, numbers and broken JSON on the last line are not taken", () => {
    for (const line of ["[1, 2]", "42", "{not json}", '"str"']) {
      assert.equal(extractReturnValue(`${line}\n`, "", false).retVal, "", line);
    }
  });
});
