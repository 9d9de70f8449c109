/**
 * A Judge0 submission made into a run: its fields checked (every fault a
 * BadRequestError naming the Judge0 field), then handed to `prepareRun` as
 * a `/run_code` body, so a submission is prepared, clamped and keyed as
 * every other run is.
 *
 * Judge0 fields fall into three groups. Honoured: source_code,
 * language_id, stdin, expected_output, wall_time_limit (else
 * cpu_time_limit) as the run's timeout, command_line_arguments,
 * additional_files. Refused when set, since ignoring them would mislead:
 * number_of_runs other than 1, enable_network, redirect_stderr_to_stdout,
 * callback_url, compiler_options. Accepted and ignored (listed in the job's
 * `ignored_fields`): the limits the service sets per instance rather than
 * per run (IGNORED_FIELDS). Fields Judge0 does not know are ignored and
 * listed the same way.
 */

import { BadRequestError, type FieldIssue } from "../core/errors.ts";
import type { JobClient } from "../jobs/types.ts";
import type { Caller, HeaderReader } from "./tenant.ts";
import { type PrepareDeps, type PreparedRun, prepareRun } from "./run_prepare.ts";
import type { RunFile } from "../protocol/host_messages.ts";
import { quote } from "./run_request.ts";
import type { Judge0Languages } from "./judge0_languages.ts";
import { splitCommandLine } from "./judge0_args.ts";
import { decodeBase64Text } from "./judge0_base64.ts";
import { unpackAdditionalFiles } from "./judge0_files.ts";

/** What preparing a submission needs. */
export interface SubmissionDeps extends PrepareDeps {
  languages: Judge0Languages;
  /** Most bytes `additional_files` may unpack to. */
  maxUnpackedBytes: number;
}

/** A submission ready to be queued as a job. */
export interface PreparedSubmission {
  prepared: PreparedRun;
  client: JobClient;
}

/** Judge0's limits that this service sets per instance, not per run: accepted, and ignored. */
export const IGNORED_FIELDS = [
  "cpu_extra_time",
  "memory_limit",
  "stack_limit",
  "max_processes_and_or_threads",
  "enable_per_process_and_thread_time_limit",
  "enable_per_process_and_thread_memory_limit",
  "max_file_size",
] as const;

const BOOLEAN_FIELDS: ReadonlySet<string> = new Set([
  "enable_per_process_and_thread_time_limit",
  "enable_per_process_and_thread_memory_limit",
]);

/** Every Judge0 field a submission may carry. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  "source_code",
  "language_id",
  "stdin",
  "expected_output",
  "cpu_time_limit",
  "wall_time_limit",
  "command_line_arguments",
  "additional_files",
  "number_of_runs",
  "enable_network",
  "redirect_stderr_to_stdout",
  "callback_url",
  "compiler_options",
  ...IGNORED_FIELDS,
]);

/** Judge0's limit on `command_line_arguments`, characters. */
const MAX_ARGUMENTS_CHARS = 512;

/** A number, or a string holding one (Judge0 takes both); undefined otherwise. */
function numberOf(value: unknown): number | undefined {
  const n = typeof value === "number"
    ? value
    : typeof value === "string" && value.trim() !== ""
    ? Number(value)
    : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Checks a Judge0 submission and prepares its run. `base64` is the
 * request's `base64_encoded`; `field` prefixes field names in errors (a
 * batch entry, `submissions.<i>`).
 */
export function prepareSubmission(
  body: unknown,
  base64: boolean,
  header: HeaderReader,
  caller: Caller,
  deps: SubmissionDeps,
  field = "",
): PreparedSubmission {
  const name = (f: string) => field ? `${field}.${f}` : f;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError(`Invalid request: check ${field || "body"}`, [
      { field: field || "body", message: "Must be a JSON object" },
    ]);
  }
  const given = body as Record<string, unknown>;
  // Judge0 takes null as not given.
  const get = (f: string) => given[f] ?? undefined;
  const issues: FieldIssue[] = [];
  // Records a fault; undefined stands for the value at fault.
  const fault = (f: string, message: string): undefined => {
    issues.push({ field: name(f), message });
    return undefined;
  };

  /** A text field, decoded from base64 when the request says so. */
  const text = (f: string): string | undefined => {
    const value = get(f);
    if (value === undefined) return undefined;
    if (typeof value !== "string") return fault(f, "Must be a string");
    if (!base64) return value;
    const decoded = decodeBase64Text(value);
    return "text" in decoded ? decoded.text : fault(f, decoded.problem);
  };
  const seconds = (f: string): number | undefined => {
    const value = get(f);
    if (value === undefined) return undefined;
    const n = numberOf(value);
    if (n === undefined || n <= 0) {
      return fault(f, `Must be a positive number of seconds, got ${quote(value)}`);
    }
    return n;
  };

  const rawId = get("language_id");
  const id = numberOf(rawId);
  const language = id === undefined ? undefined : deps.languages.get(id);
  if (rawId === undefined) fault("language_id", "Field is required; GET /languages lists the ids");
  else if (!language) {
    fault("language_id", `No language with id ${quote(rawId)}; GET /languages lists the ids`);
  }
  const code = text("source_code");
  if (get("source_code") === undefined) fault("source_code", "Field is required");
  else if (code !== undefined && code.trim() === "") fault("source_code", "Must not be blank");
  const stdin = text("stdin");
  const expectedOutput = text("expected_output");
  const wall = seconds("wall_time_limit");
  const cpu = seconds("cpu_time_limit");

  const line = get("command_line_arguments");
  let args: string[] | undefined;
  if (line !== undefined) {
    if (typeof line !== "string") fault("command_line_arguments", "Must be a string");
    else if (line.length > MAX_ARGUMENTS_CHARS) {
      fault("command_line_arguments", `Must be at most ${MAX_ARGUMENTS_CHARS} characters`);
    } else {
      const split = splitCommandLine(line);
      if ("args" in split) args = split.args;
      else fault("command_line_arguments", split.problem);
    }
  }
  const archive = get("additional_files");
  let files: RunFile[] | undefined;
  if (archive !== undefined) {
    if (typeof archive !== "string") fault("additional_files", "Must be a string");
    else {
      const unpacked = unpackAdditionalFiles(archive, deps.maxUnpackedBytes);
      if ("files" in unpacked) files = unpacked.files;
      else fault("additional_files", unpacked.problem);
    }
  }

  // What cannot be honoured, and would mislead if ignored.
  const runs = get("number_of_runs");
  if (runs !== undefined && numberOf(runs) !== 1) {
    fault("number_of_runs", "Must be 1: each submission runs once here");
  }
  if (get("enable_network") === true) {
    fault("enable_network", "Must be false: runs have no network access here");
  }
  if (get("redirect_stderr_to_stdout") === true) {
    fault("redirect_stderr_to_stdout", "Must be false: stderr is kept apart from stdout here");
  }
  for (const f of ["callback_url", "compiler_options"]) {
    const value = get(f);
    if (value !== undefined && (typeof value !== "string" || value.trim() !== "")) {
      fault(
        f,
        f === "callback_url"
          ? "Must be empty: callbacks are not made here; poll GET /submissions/{token}"
          : "Must be empty: Python and JavaScript are not compiled, and TypeScript's " +
            "types are stripped without a compiler",
      );
    }
  }
  for (const f of IGNORED_FIELDS) {
    const value = get(f);
    if (value === undefined) continue;
    if (BOOLEAN_FIELDS.has(f) ? typeof value !== "boolean" : (numberOf(value) ?? -1) < 0) {
      fault(f, BOOLEAN_FIELDS.has(f) ? "Must be a boolean" : "Must be a number, 0 or more");
    }
  }
  if (issues.length) {
    const fields = [...new Set(issues.map((d) => d.field))].join(", ");
    throw new BadRequestError(`Invalid request: check ${fields}`, issues);
  }

  // The tenant is read from the submission as from a /run_code body.
  const tenantFields = ["tenant"];
  if (deps.tenantSource.from === "body") tenantFields.push(deps.tenantSource.path[0]);
  const timeoutField = wall !== undefined ? "wall_time_limit" : "cpu_time_limit";
  const limit = wall ?? cpu;
  const run = {
    ...Object.fromEntries(tenantFields.filter((f) => f in given).map((f) => [f, given[f]])),
    language: language!.language,
    code: code!,
    ...(stdin !== undefined && { stdin }),
    ...(args && { args }),
    ...(files && { files }),
    ...(limit !== undefined && { timeout: limit * 1000 }),
  };
  const prepared = prepareNamed(run, header, caller, deps, field, timeoutField);
  prepared.request.entry = language!.sourceFile;
  prepared.ignoredFields = Object.keys(given).filter((f) =>
    given[f] !== null && !tenantFields.includes(f) &&
    (!KNOWN_FIELDS.has(f) || (IGNORED_FIELDS as readonly string[]).includes(f))
  );
  return {
    prepared,
    client: {
      protocol: "judge0",
      languageId: language!.id,
      ...(expectedOutput !== undefined && { expectedOutput }),
      ...(typeof line === "string" && { commandLineArguments: line }),
    },
  };
}

/** Where each `/run_code` field of the run came from in the submission. */
const JUDGE0_NAMES: Record<string, string> = {
  language: "language_id",
  code: "source_code",
  args: "command_line_arguments",
  files: "additional_files",
};

/** `prepareRun`, with its errors naming the submission's fields rather than the run's. */
function prepareNamed(
  run: Record<string, unknown>,
  header: HeaderReader,
  caller: Caller,
  deps: PrepareDeps,
  field: string,
  timeoutField: string,
): PreparedRun {
  try {
    return prepareRun(run, header, caller, deps, field);
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    const prefix = field ? `${field}.` : "";
    const details = err.details.map((d) => {
      const [head, ...rest] = d.field.slice(prefix.length).split(".");
      const renamed = head === "timeout" ? timeoutField : JUDGE0_NAMES[head];
      return renamed ? { ...d, field: prefix + [renamed, ...rest].join(".") } : d;
    });
    const fields = [...new Set(details.map((d) => d.field))].join(", ");
    throw new BadRequestError(`Invalid request: check ${fields}`, details);
  }
}
