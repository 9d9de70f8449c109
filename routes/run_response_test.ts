import assert from "node:assert/strict";
import { extractReturnValue } from "./run_response.ts";

Deno.test("ret_val extraction", async (t) => {
  await t.step("a marker block becomes ret_val and leaves stdout", () => {
    const stdout = 'before\n__COZE_RETURN_VAL_START__\n{"a": 1}\n__COZE_RETURN_VAL_END__\nafter\n';
    assert.deepEqual(extractReturnValue(stdout, "", false), {
      stdout: "before\nafter\n",
      retVal: '{"a": 1}',
      from: "marker",
    });
  });

  await t.step("every marker block leaves stdout; the last one is ret_val", () => {
    const block = (v: string) => `__COZE_RETURN_VAL_START__\n${v}\n__COZE_RETURN_VAL_END__\n`;
    const stdout = `a\n${block("1")}b\n${block("2")}c`;
    assert.deepEqual(extractReturnValue(stdout, "", false, "javascript"), {
      stdout: "a\nb\nc",
      retVal: "2",
      from: "marker",
    });
  });

  await t.step("an explicit value wins over a marker block, which still leaves stdout", () => {
    const stdout = "__COZE_RETURN_VAL_START__\n1\n__COZE_RETURN_VAL_END__\nlog\n";
    assert.deepEqual(extractReturnValue(stdout, "7", true), { stdout: "log\n", retVal: "7" });
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

  await t.step("python: a JSON object on the last line is ret_val, stdout unchanged", () => {
    const stdout = 'log\n{"score": 0.5}\n\n';
    assert.deepEqual(extractReturnValue(stdout, "", false, "python"), {
      stdout,
      retVal: '{"score": 0.5}',
      from: "line",
    });
    for (const line of ["[1, 2]", "42", "{not json}", '"str"']) {
      assert.equal(extractReturnValue(`${line}\n`, "", false, "python").retVal, "", line);
    }
  });

  await t.step("js/ts: the last JSON line is ret_val and leaves stdout byte for byte", () => {
    for (const language of ["javascript", "typescript"] as const) {
      assert.deepEqual(extractReturnValue('a \r\n{"s": 1}\n\nz ', "", false, language), {
        stdout: 'a \r\n{"s": 1}\n\nz ',
        retVal: "",
      }, "a last line that is not JSON takes nothing");
      assert.deepEqual(extractReturnValue('log\n  {"s": 1}\n\n', "", false, language), {
        stdout: "log\n\n",
        retVal: '{"s": 1}',
        from: "line",
      });
      for (const line of ["[1, 2]", "42", '"str"', "null", "true"]) {
        assert.deepEqual(extractReturnValue(`x\n${line}`, "", false, language), {
          stdout: "x\n",
          retVal: line,
          from: "line",
        });
      }
    }
  });

  await t.step("an explicit return value wins over the last JSON line", () => {
    for (const language of ["python", "javascript"] as const) {
      assert.deepEqual(extractReturnValue('{"a": 1}\n', "7", true, language), {
        stdout: '{"a": 1}\n',
        retVal: "7",
      });
    }
  });
});
