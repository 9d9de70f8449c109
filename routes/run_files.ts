/**
 * The files and arguments a run may be given: their schema and the checks
 * every protocol shares (`/run_code`, Piston's `files`, Judge0's
 * `additional_files`).
 */
import { z } from "zod";
import type { RunFile } from "../protocol/host_messages.ts";
import { globProblem, MAX_RETURN_PATTERNS } from "../workers/file_glob.ts";
import { MAX_RETURNED_FILES } from "../workers/returned_files.ts";

/** Most files one run may be given. */
export const MAX_RUN_FILES = 100;
/** Most command-line arguments one run may be given. */
export const MAX_RUN_ARGS = 256;
const MAX_NAME_CHARS = 255;

/**
 * Why `name` cannot be a run file's path, or undefined when it can: a
 * relative path of plain segments, at most 255 characters.
 */
export function fileNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_CHARS) {
    return `Must be 1 to ${MAX_NAME_CHARS} characters`;
  }
  if (name.startsWith("/")) return "Must be a relative path (no leading /)";
  if (/[\0\\]/.test(name)) return "Must not contain NUL or backslash characters";
  const segments = name.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    return "Must not contain empty, . or .. segments";
  }
  return undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Whether `text` is canonical base64 (padding included, no whitespace). */
export function isBase64(text: string): boolean {
  return BASE64.test(text);
}

/** One entry of `files`. */
export const runFileSchema = z.object({
  name: z.string({ error: "Must be a string" }).superRefine((name, ctx) => {
    const problem = fileNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).describe("Relative path in the run's working directory, such as util.py or lib/data.csv"),
  content: z.string({ error: "Must be a string" }).describe("The file's content"),
  encoding: z.enum(["utf-8", "utf8", "base64"], {
    error: 'Must be "utf-8" or "base64"',
  }).optional().describe('How content is given: "utf-8" (default) or "base64"'),
}).superRefine((file, ctx) => {
  if (file.encoding === "base64" && !isBase64(file.content)) {
    ctx.addIssue({ code: "custom", path: ["content"], message: "Must be valid base64" });
  }
}).transform((file): RunFile => ({
  name: file.name,
  content: file.content,
  encoding: file.encoding === "base64" ? "base64" : "utf-8",
}));

/** `files`: distinct names, at most MAX_RUN_FILES. */
export const runFilesSchema = z.array(runFileSchema, { error: "Must be an array of files" })
  .max(MAX_RUN_FILES, `Must hold at most ${MAX_RUN_FILES} files`)
  .superRefine((files, ctx) => {
    const seen = new Set<string>();
    files.forEach((file, i) => {
      if (seen.has(file.name)) {
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          message: `Duplicate file name ${JSON.stringify(file.name)}`,
        });
      }
      seen.add(file.name);
    });
  })
  .describe(
    "Files placed in the run's working directory before it starts: Python imports " +
      "them and opens them; JS/TS requires or imports them (./name) and reads them with fs",
  );

/** `args`: strings, at most MAX_RUN_ARGS. */
export const runArgsSchema = z.array(z.string({ error: "Must be a string" }), {
  error: "Must be an array of strings",
}).max(MAX_RUN_ARGS, `Must hold at most ${MAX_RUN_ARGS} arguments`)
  .describe("Command-line arguments: sys.argv[1:] in Python, process.argv.slice(2) in JS/TS");

/** `return_files`: glob patterns of the files a run hands back. */
export const returnFilesSchema = z.array(
  z.string({ error: "Must be a string" }).superRefine((pattern, ctx) => {
    const problem = globProblem(pattern);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  { error: "Must be an array of glob patterns" },
).max(MAX_RETURN_PATTERNS, `Must hold at most ${MAX_RETURN_PATTERNS} patterns`)
  .describe(
    "Glob patterns (* and ? within a path segment, ** for any number of segments) of files " +
      "in the run's working directory to hand back after it in `files`: at most " +
      `${MAX_RETURNED_FILES} files and FAAS_MAX_OUTPUT_BYTES of content, in name order`,
  );
