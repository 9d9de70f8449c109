/**
 * A stored job as a Judge0 submission: its status, output and measures in
 * Judge0's form, cut to the fields asked for. The mapping from the job and
 * its `/run_code` result to Judge0's statuses is documented in
 * docs/api.md#judge0-ce.
 */
import { BadRequestError } from "../core/errors.ts";
import type { Job } from "../jobs/types.ts";
import type { RunResponse } from "./run_response.ts";
import { encodeBase64Text } from "./judge0_base64.ts";
import { packAdditionalFiles } from "./judge0_files.ts";
import type { Judge0Languages } from "./judge0_languages.ts";
import { type Judge0StatusId, STATUS, statusBody } from "./judge0_statuses.ts";

/** Every field of a Judge0 submission (Judge0 1.13's), in Judge0's order. */
export const SUBMISSION_FIELDS = [
  "source_code",
  "language_id",
  "stdin",
  "expected_output",
  "stdout",
  "status_id",
  "created_at",
  "finished_at",
  "time",
  "memory",
  "stderr",
  "token",
  "number_of_runs",
  "cpu_time_limit",
  "cpu_extra_time",
  "wall_time_limit",
  "memory_limit",
  "stack_limit",
  "max_processes_and_or_threads",
  "enable_per_process_and_thread_time_limit",
  "enable_per_process_and_thread_memory_limit",
  "max_file_size",
  "compile_output",
  "exit_code",
  "exit_signal",
  "message",
  "wall_time",
  "compiler_options",
  "command_line_arguments",
  "redirect_stderr_to_stdout",
  "callback_url",
  "additional_files",
  "enable_network",
  "status",
  "language",
] as const;

/** A field of a submission. */
export type SubmissionField = (typeof SUBMISSION_FIELDS)[number];

/** What Judge0 answers without `fields`. */
export const DEFAULT_FIELDS: readonly SubmissionField[] = [
  "token",
  "time",
  "memory",
  "stdout",
  "stderr",
  "compile_output",
  "message",
  "status",
];

const KNOWN: ReadonlySet<string> = new Set(SUBMISSION_FIELDS);

/**
 * The fields `raw` (Judge0's `fields`, comma-separated) asks for: `*` for
 * all, none for the defaults. Unknown names are a BadRequestError naming
 * `fields`, as Judge0 refuses them.
 */
export function parseFields(raw: string | undefined): readonly SubmissionField[] {
  const names = (raw ?? "").split(",").map((f) => f.trim()).filter((f) => f !== "");
  const unknown = names.filter((f) => f !== "*" && !KNOWN.has(f));
  if (unknown.length) {
    throw new BadRequestError(`Invalid fields: [${unknown.join(", ")}]`, [{
      field: "fields",
      message: `Unknown ${unknown.length === 1 ? "field" : "fields"} ${
        unknown.map((f) => JSON.stringify(f)).join(", ")
      }; use * or a comma-separated list of submission fields`,
    }]);
  }
  if (names.includes("*")) return SUBMISSION_FIELDS;
  return names.length ? [...new Set(names)] as SubmissionField[] : DEFAULT_FIELDS;
}

/**
 * Judge0's comparison of stdout with `expected_output`: each line's
 * trailing whitespace and the text's own are stripped, then the two must
 * be equal. An empty stdout is null in Judge0, and null equals no text,
 * so an empty `expected_output` never matches (as in Judge0).
 */
export function matchesExpected(expected: string | undefined, stdout: string | null): boolean {
  if (expected === undefined) return true;
  if (stdout === null) return false;
  return judge0Strip(expected) === judge0Strip(stdout);
}

/** Ruby's `rstrip`: NUL and ASCII whitespace, as Judge0 strips them. */
const TRAILING = /[\0\t\n\v\f\r ]+$/;

function judge0Strip(text: string): string {
  return text.split("\n").map((line) => line.replace(TRAILING, "")).join("\n").replace(
    TRAILING,
    "",
  );
}

/** What a job came to, in Judge0's terms (texts not yet encoded). */
export interface Judge0Outcome {
  status: Judge0StatusId;
  stdout: string | null;
  stderr: string | null;
  compile_output: string | null;
  message: string | null;
  exit_code: number | null;
  exit_signal: number | null;
  /** CPU seconds, as Judge0's decimal string. */
  time: string | null;
  wall_time: string | null;
  /** KiB. */
  memory: number | null;
}

const NOTHING = {
  stdout: null,
  stderr: null,
  compile_output: null,
  message: null,
  exit_code: null,
  exit_signal: null,
  time: null,
  wall_time: null,
  memory: null,
} as const;

const seconds = (ms: number | undefined) => ms === undefined ? null : (ms / 1000).toFixed(3);

/** Judge0's status, output and measures of a job; `expected` its expected output. */
export function judge0Outcome(
  job: Pick<Job, "status" | "result" | "resultNote" | "error">,
  expected?: string,
): Judge0Outcome {
  switch (job.status) {
    case "queued":
      return { ...NOTHING, status: STATUS.inQueue };
    case "running":
      return { ...NOTHING, status: STATUS.processing };
    case "dead":
      return { ...NOTHING, status: STATUS.internalError, message: job.error ?? "The run failed" };
    case "cancelled":
      return { ...NOTHING, status: STATUS.internalError, message: "Cancelled before it finished" };
  }
  const result = job.result as Partial<RunResponse> | null | undefined;
  if (!result?.output || !result.metadata) {
    return { ...NOTHING, status: STATUS.internalError, message: "The run's result was not kept" };
  }
  const { output, metadata } = result;
  const stdout = output.stdout || null;
  const stderr = output.stderr || null;
  const ran = {
    ...NOTHING,
    stdout,
    stderr,
    time: seconds(metadata.cpu_ms),
    wall_time: seconds(metadata.duration_ms),
    memory: metadata.memory_peak_bytes === undefined
      ? null
      : Math.round(metadata.memory_peak_bytes / 1024),
  };
  let outcome: Judge0Outcome;
  switch (metadata.status) {
    case "success":
      outcome = {
        ...ran,
        status: matchesExpected(expected, stdout) ? STATUS.accepted : STATUS.wrongAnswer,
        exit_code: metadata.exit_code,
      };
      break;
    case "error":
      if (metadata.exception?.compile) {
        // As Judge0 after a failed compilation: nothing ran, nothing measured.
        return { ...NOTHING, status: STATUS.compilationError, compile_output: stderr };
      }
      outcome = metadata.exit_code !== 0
        ? {
          ...ran,
          status: STATUS.runtimeErrorNzec,
          exit_code: metadata.exit_code,
          message: `Exited with error status ${metadata.exit_code}`,
        }
        : {
          ...ran,
          status: STATUS.runtimeErrorOther,
          exit_code: 0,
          message: metadata.exception
            ? `${metadata.exception.type}: ${metadata.exception.message}`
            : result.error ?? null,
        };
      break;
    case "timeout":
      outcome = { ...ran, status: STATUS.timeLimitExceeded, message: "Time limit exceeded" };
      break;
    case "memory_limit":
      outcome = { ...ran, status: STATUS.runtimeErrorOther, message: "Memory limit exceeded" };
      break;
    default:
      outcome = {
        ...ran,
        status: STATUS.internalError,
        message: result.error ?? `The run ended with status ${metadata.status}`,
      };
  }
  const cut = job.resultNote ??
    (metadata.truncated ? "Output was cut at the service's limit (FAAS_MAX_OUTPUT_BYTES)" : null);
  if (cut) outcome.message = outcome.message ? `${outcome.message}; ${cut}` : cut;
  return outcome;
}

/** Judge0's decimal strings: "5.0", "0.5". */
const decimal = (n: number) => Number.isInteger(n) ? n.toFixed(1) : String(n);
const iso = (ms: number | undefined) => ms === undefined ? null : new Date(ms).toISOString();

/**
 * The Judge0 body of a job with `fields`; with `base64`, its texts (code,
 * stdin, expected output, stdout, stderr, compile output, message) in base64.
 */
export function submissionBody(
  job: Job,
  languages: Judge0Languages,
  base64: boolean,
  fields: readonly SubmissionField[],
): Record<string, unknown> {
  const { request } = job.run;
  const client = job.run.client;
  const language = (client && languages.get(client.languageId)) ??
    languages.defaultOf(request.language);
  const outcome = judge0Outcome(job, client?.expectedOutput);
  const text = (value: string | null | undefined) =>
    value === null || value === undefined ? null : base64 ? encodeBase64Text(value) : value;
  const values: Record<SubmissionField, () => unknown> = {
    source_code: () => text(request.code),
    language_id: () => language.id,
    stdin: () => text(request.stdin || null),
    expected_output: () => text(client?.expectedOutput),
    stdout: () => text(outcome.stdout),
    status_id: () => outcome.status,
    created_at: () => iso(job.createdAt),
    finished_at: () => iso(job.finishedAt),
    time: () => outcome.time,
    memory: () => outcome.memory,
    stderr: () => text(outcome.stderr),
    token: () => job.id,
    number_of_runs: () => 1,
    // The one limit is wall-clock: CPU time is not limited apart from it.
    cpu_time_limit: () => null,
    cpu_extra_time: () => null,
    wall_time_limit: () => decimal(request.timeoutMs / 1000),
    // Set per instance by the service, not per run.
    memory_limit: () => null,
    stack_limit: () => null,
    max_processes_and_or_threads: () => null,
    enable_per_process_and_thread_time_limit: () => null,
    enable_per_process_and_thread_memory_limit: () => null,
    max_file_size: () => null,
    compile_output: () => text(outcome.compile_output),
    exit_code: () => outcome.exit_code,
    exit_signal: () => outcome.exit_signal,
    message: () => text(outcome.message),
    wall_time: () => outcome.wall_time,
    compiler_options: () => null,
    command_line_arguments: () => client?.commandLineArguments ?? null,
    redirect_stderr_to_stdout: () => false,
    callback_url: () => null,
    additional_files: () => packAdditionalFiles(request.files),
    enable_network: () => false,
    status: () => statusBody(outcome.status),
    language: () => ({ id: language.id, name: language.name }),
  };
  return Object.fromEntries(fields.map((f) => [f, values[f]()]));
}
