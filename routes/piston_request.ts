/**
 * Piston v2's `POST /api/v2/execute` body, checked as Piston checks it and
 * made into a `/run_code` body for the one run path.
 */
import { BadRequestError } from "../core/errors.ts";
import type { RuntimeInfo } from "./runtimes.ts";
import { LANGUAGE_ALIASES } from "./run_request.ts";
import type { Language } from "../protocol/host_messages.ts";

/** What the adapter needs to know of the service's limits. */
export interface PistonLimits {
  maxTimeoutMs: number;
  memoryLimitBytes: number;
}

/** A Piston request made into a run. */
export interface PistonRun {
  /** A `/run_code` body (validated again by the run path). */
  body: Record<string, unknown>;
  /** The entry point's file name. */
  entry: string;
  runtime: RuntimeInfo;
  /** What was asked but cannot be honoured, said in the response. */
  warnings: string[];
}

const refuse = (field: string, message: string): never => {
  throw new BadRequestError(message, [{ field, message }]);
};

/**
 * The runtime a Piston `language` and `version` name: `*` (or `latest`)
 * for the one there is, else an exact version or a prefix of it (`3`,
 * `3.14`, `3.14.x`).
 */
export function findRuntime(
  runtimes: readonly RuntimeInfo[],
  language: string,
  version: string,
): RuntimeInfo | undefined {
  const wanted: Language | undefined = LANGUAGE_ALIASES[language.trim().toLowerCase()];
  const rt = runtimes.find((r) => r.language === wanted);
  if (!rt) return undefined;
  const v = version.trim().replace(/(\.x)+$/i, "");
  if (v === "*" || v === "x" || v === "latest") return rt;
  const parts = v.split(".");
  const have = pistonVersion(rt).split(".");
  return parts.every((p, i) => p === have[i]) ? rt : undefined;
}

/** A runtime's version as Piston shows it: three numbers. */
export function pistonVersion(rt: RuntimeInfo): string {
  const version = rt.language === "javascript" ? Deno.version.deno : rt.version;
  const parts = version.split(/[.-]/).filter((p) => /^\d+$/.test(p)).slice(0, 3);
  while (parts.length < 3) parts.push("0");
  return parts.join(".");
}

interface PistonFile {
  name?: unknown;
  content?: unknown;
  encoding?: unknown;
}

/** Checks a Piston body and makes it a run, or throws naming the field. */
export function pistonRun(
  body: unknown,
  runtimes: readonly RuntimeInfo[],
  limits: PistonLimits,
): PistonRun {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    refuse("body", "Request body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  const { language, version, files, stdin, args } = b;
  if (typeof language !== "string" || !language) {
    refuse("language", "language is required as a string");
  }
  if (version !== undefined && typeof version !== "string") {
    refuse("version", "version is required as a string");
  }
  if (!Array.isArray(files)) refuse("files", "files is required as an array");
  const list = files as PistonFile[];
  list.forEach((file, i) => {
    if (file === null || typeof file !== "object" || typeof file.content !== "string") {
      refuse(`files[${i}].content`, `files[${i}].content is required as a string`);
    }
    if (file.name !== undefined && typeof file.name !== "string") {
      refuse(`files[${i}].name`, `files[${i}].name must be a string`);
    }
    if (file.encoding !== undefined && !["utf8", "base64", "hex"].includes(String(file.encoding))) {
      refuse(`files[${i}].encoding`, `files[${i}].encoding must be one of utf8, base64, hex`);
    }
  });
  const asked = (version as string | undefined) ?? "*";
  const runtime = findRuntime(runtimes, language as string, asked);
  if (!runtime) {
    const known = runtimes.map((r) => `${r.language}-${pistonVersion(r)}`).join(", ");
    refuse(
      LANGUAGE_ALIASES[(language as string).trim().toLowerCase()] ? "version" : "language",
      `${language}-${asked} runtime is unknown (available: ${known}; "*" picks the latest)`,
    );
  }
  const entryIndex = list.findIndex((f) => f.encoding === undefined || f.encoding === "utf8");
  if (entryIndex === -1) refuse("files", "files must include at least one utf8 encoded file");
  if (stdin !== undefined && typeof stdin !== "string") refuse("stdin", "stdin must be a string");
  if (
    args !== undefined &&
    (!Array.isArray(args) || args.some((a: unknown) => typeof a !== "string"))
  ) {
    refuse("args", "args must be an array of strings");
  }
  const warnings: string[] = [];
  const timeout = checkLimits(b, limits, warnings);
  const named = list.map((file, i) => ({
    name: typeof file.name === "string" && file.name ? file.name : `file${i}.code`,
    ...encoded(file.content as string, file.encoding as string | undefined, i),
  }));
  // Piston ends stdin with a newline, and its clients' programs expect one.
  const input = (stdin as string | undefined) ?? "";
  const run: Record<string, unknown> = {
    language: runtime!.language,
    code: list[entryIndex].content,
    stdin: input.endsWith("\n") ? input : `${input}\n`,
    args: args ?? [],
    // Every file is in the run's directory, the entry point too, as in Piston.
    files: named,
  };
  if (timeout !== undefined) run.timeout = timeout;
  if (typeof b.tenant === "string") run.tenant = b.tenant;
  return { body: run, entry: named[entryIndex].name, runtime: runtime!, warnings };
}

/** A file's content for the run: text as is, bytes as base64. */
function encoded(content: string, encoding: string | undefined, i: number) {
  if (encoding === "hex") {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(content)) {
      refuse(`files[${i}].content`, `files[${i}].content must be hex, as its encoding says`);
    }
    const bytes = new Uint8Array(content.length / 2);
    for (let j = 0; j < bytes.length; j++) bytes[j] = parseInt(content.slice(2 * j, 2 * j + 2), 16);
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return { content: btoa(binary), encoding: "base64" };
  }
  if (encoding === "base64") return { content, encoding: "base64" };
  return { content, encoding: "utf-8" };
}

/**
 * Checks the `*_timeout`, `*_cpu_time` and `*_memory_limit` fields as
 * Piston does (numbers, not negative, within the configured limits) and
 * gives the run's timeout: the smaller of `run_timeout` and `run_cpu_time`.
 * No language here has a separate compile step, so the `compile_*` limits
 * govern nothing (as in Piston for interpreted languages).
 */
function checkLimits(
  b: Record<string, unknown>,
  limits: PistonLimits,
  warnings: string[],
): number | undefined {
  const configured: Record<string, number> = {
    timeout: limits.maxTimeoutMs,
    cpu_time: limits.maxTimeoutMs,
    memory_limit: limits.memoryLimitBytes,
  };
  for (const constraint of ["timeout", "cpu_time", "memory_limit"]) {
    for (const stage of ["compile", "run"]) {
      const name = `${stage}_${constraint}`;
      const value = b[name];
      if (value === undefined || value === null || value === 0) continue;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        refuse(name, `If specified, ${name} must be a number`);
      }
      const v = value as number;
      // -1 asks for the configured limit.
      if (constraint === "memory_limit" && v === -1) continue;
      if (v > configured[constraint]) {
        refuse(name, `${name} cannot exceed the configured limit of ${configured[constraint]}`);
      }
      if (v < 0) refuse(name, `${name} must be non-negative`);
      if (name === "run_memory_limit" && v < limits.memoryLimitBytes) {
        warnings.push(
          `run_memory_limit ${v} was not applied: every run may use the service's ` +
            `${limits.memoryLimitBytes} bytes per instance`,
        );
      }
    }
  }
  const times = [b.run_timeout, b.run_cpu_time].filter((t): t is number =>
    typeof t === "number" && t > 0
  );
  return times.length ? Math.min(...times) : undefined;
}
