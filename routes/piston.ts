/**
 * Piston v2 compatibility: `GET /api/v2/runtimes` and `POST /api/v2/execute`
 * (also under `/api/v2/piston/`, as emkc.org serves them), so Piston's
 * clients work unchanged. A thin layer: the request becomes a `/run_code`
 * run on the one scheduler, its result Piston's `run` stage.
 */
import { Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { RunCodeDeps } from "./run_code.ts";
import { logRun } from "./run_code.ts";
import { parseBody, prepareRun } from "./run_prepare.ts";
import { callerOf } from "./tenant.ts";
import type { RuntimeInfo } from "./runtimes.ts";
import { type PistonLimits, pistonRun, pistonVersion } from "./piston_request.ts";
import type { RunResult } from "../sandbox/host.ts";
import { BadRequestError } from "../core/errors.ts";
import { admitRuns, settleWith } from "./quota_admission.ts";

/** What the Piston routes need. */
export interface PistonDeps extends RunCodeDeps, PistonLimits {
  runtimes: readonly RuntimeInfo[];
  maxOutputBytes: number;
}

/** One stage of a Piston result. */
export interface PistonStage {
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as the program wrote them. */
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: "RE" | "SG" | "TO" | "OL" | "EL" | "XX" | null;
  cpu_time: number | null;
  wall_time: number | null;
  memory: number | null;
}

/** Piston's aliases for our languages, besides our own spellings. */
const EXTRA_ALIASES: Record<string, string[]> = {
  python: ["py3"],
  javascript: ["node-javascript", "node-js", "deno-js"],
  typescript: ["deno-ts"],
};

/** Builds the routes. */
export function pistonRoutes(deps: PistonDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const list = deps.runtimes.map((rt) => ({
    language: rt.language,
    version: pistonVersion(rt),
    aliases: [...rt.aliases.filter((a) => a !== rt.language), ...EXTRA_ALIASES[rt.language]],
    runtime: rt.language === "python" ? "pyodide" : "deno",
  }));
  for (const base of ["/api/v2", "/api/v2/piston"]) {
    app.get(`${base}/runtimes`, (c) => c.json(list));
    app.post(`${base}/execute`, async (c) => {
      const piston = pistonRun(
        parseBody(new Uint8Array(await c.req.arrayBuffer())),
        deps.runtimes,
        deps,
      );
      let prepared;
      try {
        prepared = prepareRun(piston.body, (n) => c.req.header(n), callerOf(c), deps);
      } catch (err) {
        throw err instanceof BadRequestError ? inPistonTerms(err) : err;
      }
      const request = { ...prepared.request, entry: piston.entry };
      // Piston's `output` interleaves the two streams: gathered as they come.
      let output = "";
      let outputBytes = 0;
      request.onOutput = (_fd, text) => {
        if (outputBytes > 2 * deps.maxOutputBytes) return;
        output += text;
        outputBytes += text.length;
      };
      const admission = await admitRuns(c, deps.quotas, request.account, 1, true);
      const running = deps.scheduler.submit(request, c.req.raw.signal);
      settleWith(admission, running);
      const scheduled = await running;
      const { result, taskId, queueMs, via } = scheduled;
      logRun(deps.logger, c.get("requestId"), request.code, null, result, {
        key_id: c.get("keyId"),
        task_id: taskId,
        language: request.language,
        protocol: "piston",
        timeout_ms: request.timeoutMs,
        queue_ms: Math.round(queueMs * 1000) / 1000,
        instance_source: via,
      });
      const run = stageOf(result, output, deps.maxOutputBytes);
      const compiled = request.language === "typescript";
      const compile = compiled ? compileStage(result) : undefined;
      return c.json({
        language: piston.runtime.language,
        version: pistonVersion(piston.runtime),
        // A program that did not compile has no run stage; Piston then
        // repeats the compile stage as `run`.
        run: compile && compile.code !== 0 ? compile : run,
        ...(compile && { compile }),
        ...(piston.warnings.length && { warnings: piston.warnings }),
      });
    });
  }
  return app;
}

/** A `/run_code` field name as Piston's request spells it. */
function inPistonTerms(err: BadRequestError): BadRequestError {
  const rename = (field: string) =>
    field === "code"
      ? "files[0].content"
      : field.replace(/^(files|args)\.(\d+)/, "$1[$2]").replace(/^timeout$/, "run_timeout");
  const details = err.details.map((d) => ({ field: rename(d.field), message: d.message }));
  const message = details.map((d) => `${d.field}: ${d.message}`).join("; ") || err.message;
  return new BadRequestError(message, details);
}

/** The run as Piston's `run` stage. */
export function stageOf(result: RunResult, interleaved: string, maxBytes: number): PistonStage {
  const base = {
    stdout: result.stdout,
    stderr: result.stderr,
    output: interleaved || result.stdout + result.stderr,
    cpu_time: result.cpuMs === undefined ? null : Math.round(result.cpuMs),
    wall_time: Math.round(result.durationMs),
    memory: result.memoryBytes ?? null,
  };
  switch (result.status) {
    case "success":
      if (result.truncated) return truncated(base, result, maxBytes);
      return { ...base, code: 0, signal: null, message: null, status: null };
    case "error":
      if (result.truncated) return truncated(base, result, maxBytes);
      return {
        ...base,
        code: result.exitCode,
        signal: null,
        message: `Exited with error status ${result.exitCode}`,
        status: "RE",
      };
    case "timeout":
      return {
        ...base,
        code: null,
        signal: "SIGKILL",
        message: "Time limit exceeded",
        status: "TO",
      };
    case "memory_limit":
      return {
        ...base,
        code: null,
        signal: "SIGKILL",
        message: result.error ?? "Memory limit exceeded",
        status: "SG",
      };
    default:
      return {
        ...base,
        code: null,
        signal: null,
        message: result.error ?? `Run ended: ${result.status}`,
        status: "XX",
      };
  }
}

function truncated(
  base: Omit<PistonStage, "code" | "signal" | "message" | "status">,
  result: RunResult,
  maxBytes: number,
): PistonStage {
  const out = new TextEncoder().encode(result.stdout).length >= maxBytes;
  return {
    ...base,
    code: null,
    signal: "SIGKILL",
    message: out ? "stdout length exceeded" : "stderr length exceeded",
    status: out ? "OL" : "EL",
  };
}

/**
 * TypeScript's compile stage: types are stripped as the run starts, so it
 * takes no time of its own; a syntax error fails it as `tsc` would.
 */
function compileStage(result: RunResult): PistonStage {
  const failed = result.exception?.compile === true;
  const stderr = failed ? result.stderr : "";
  return {
    stdout: "",
    stderr,
    output: stderr,
    code: failed ? 1 : 0,
    signal: null,
    message: failed ? "Exited with error status 1" : null,
    status: failed ? "RE" : null,
    cpu_time: 0,
    wall_time: 0,
    memory: 0,
  };
}
