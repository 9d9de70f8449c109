import assert from "node:assert/strict";
import type { Job } from "../jobs/types.ts";
import { judge0Outcome, matchesExpected, parseFields, SUBMISSION_FIELDS } from "./judge0_result.ts";

/** A done job whose result has `metadata` over a success. */
function done(
  metadata: Record<string, unknown>,
  output: Record<string, string> = {},
  error?: string,
): Pick<Job, "status" | "result"> {
  return {
    status: "done",
    result: {
      output: { stdout: "", stderr: "", ret_val: "", ...output },
      metadata: {
        status: "success",
        exit_code: 0,
        truncated: false,
        duration_ms: 12.5,
        cpu_ms: 4.2,
        memory_peak_bytes: 2048 * 1024,
        ...metadata,
      },
      ...(error && { error }),
    },
  };
}

Deno.test("Judge0's comparison of stdout with expected_output", async (t) => {
  await t.step("trailing whitespace of each line and of the whole is ignored", () => {
    assert.ok(matchesExpected("a\nb", "a  \nb\t\n\n"));
    assert.ok(matchesExpected("a \r\nb\n\n", "a\nb"));
    assert.ok(matchesExpected("x\0", "x"));
  });
  await t.step("leading whitespace, inner blank lines and other spaces count", () => {
    assert.ok(!matchesExpected(" a", "a"));
    assert.ok(!matchesExpected("a\n\nb", "a\nb"));
    assert.ok(!matchesExpected("a\u00a0", "a"));
  });
  await t.step("no expected output accepts anything; an empty stdout matches nothing", () => {
    assert.ok(matchesExpected(undefined, null));
    assert.ok(!matchesExpected("", null));
    assert.ok(!matchesExpected("\n", null));
  });
});

Deno.test("a job's Judge0 status", async (t) => {
  await t.step("queued, running, dead and cancelled", () => {
    assert.equal(judge0Outcome({ status: "queued" }).status, 1);
    assert.equal(judge0Outcome({ status: "running" }).status, 2);
    const dead = judge0Outcome({ status: "dead", error: "Failed 3 times; last: crash" });
    assert.deepEqual([dead.status, dead.message], [13, "Failed 3 times; last: crash"]);
    assert.equal(judge0Outcome({ status: "cancelled" }).status, 13);
  });
  await t.step("success: accepted or wrong answer, with its measures", () => {
    const ok = judge0Outcome(done({}, { stdout: "42\n" }), "42");
    assert.deepEqual(ok, {
      status: 3,
      stdout: "42\n",
      stderr: null,
      compile_output: null,
      message: null,
      exit_code: 0,
      exit_signal: null,
      time: "0.004",
      wall_time: "0.013",
      memory: 2048,
    });
    assert.equal(judge0Outcome(done({}, { stdout: "41\n" }), "42").status, 4);
  });
  await t.step("errors: compilation, exit code, timeout, memory, the service's", () => {
    const ce = judge0Outcome(
      done(
        { status: "error", exit_code: 1, exception: { type: "E", message: "m", compile: true } },
        {
          stderr: "SyntaxError: x\n",
        },
      ),
    );
    assert.deepEqual(
      [ce.status, ce.compile_output, ce.stderr, ce.time],
      [6, "SyntaxError: x\n", null, null],
    );
    const nzec = judge0Outcome(done({ status: "error", exit_code: 3 }, { stderr: "oops\n" }));
    assert.deepEqual(
      [nzec.status, nzec.exit_code, nzec.stderr, nzec.message],
      [11, 3, "oops\n", "Exited with error status 3"],
    );
    const tle = judge0Outcome(done({ status: "timeout", exit_code: 1 }, {}, "Run exceeded"));
    assert.deepEqual([tle.status, tle.message, tle.exit_code], [5, "Time limit exceeded", null]);
    const mle = judge0Outcome(done({ status: "memory_limit" }));
    assert.deepEqual([mle.status, mle.message], [12, "Memory limit exceeded"]);
    const killed = judge0Outcome(done({ status: "killed" }, {}, "The sandbox died"));
    assert.deepEqual([killed.status, killed.message], [13, "The sandbox died"]);
  });
  await t.step("a cut output says so in message", () => {
    const cut = judge0Outcome(done({ truncated: true }, { stdout: "aaa" }));
    assert.match(cut.message!, /FAAS_MAX_OUTPUT_BYTES/);
  });
});

Deno.test("fields: Judge0's defaults, * and unknown names", () => {
  assert.deepEqual(parseFields(undefined), [
    "token",
    "time",
    "memory",
    "stdout",
    "stderr",
    "compile_output",
    "message",
    "status",
  ]);
  assert.deepEqual(parseFields("stdout, status_id,stdout"), ["stdout", "status_id"]);
  assert.equal(parseFields("*"), SUBMISSION_FIELDS);
  assert.throws(() => parseFields("stdout,nope,zip"), /Invalid fields: \[nope, zip\]/);
});
