/** The `/run_code` request body: schema, aliases and defaults. */
import { z } from "zod";
import type { Language } from "../protocol/host_messages.ts";
import { PRIORITIES, type Priority } from "../scheduler/priority_queue.ts";
import { returnFilesSchema, runArgsSchema, runFilesSchema } from "./run_files.ts";

/** A value for an error message: quoted, and cut when long. */
export function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}

/** A tenant: 1-128 printable ASCII characters (it may also come as a header). */
export const TENANT_PATTERN = /^[\x20-\x7e]{1,128}$/;

/** Accepted spellings of each language, lower case. */
export const LANGUAGE_ALIASES: Record<string, Language> = {
  python: "python",
  py: "python",
  python3: "python",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  typescript: "typescript",
  ts: "typescript",
};

/** Schema of the request body. Unknown fields are accepted and ignored. */
export const runRequestSchema = z.looseObject({
  language: z.string({
    error: (i) => i.input === undefined ? "Field is required" : "Must be a string",
  }).describe(
    "Case-insensitive: python, py, python3, javascript, js, node, typescript, ts",
  ).transform((value, ctx) => {
    const language = LANGUAGE_ALIASES[value.trim().toLowerCase()];
    if (!language) {
      ctx.addIssue({
        code: "custom",
        message: `Unsupported language ${quote(value)}; use one of ${
          Object.keys(LANGUAGE_ALIASES).join(", ")
        }`,
      });
      return z.NEVER;
    }
    return language;
  }),
  code: z.string({
    error: (i) => i.input === undefined ? "Field is required" : "Must be a string",
  }).min(1, "Must not be empty").describe("The program; JS/TS run as an async function body"),
  timeout: z.union([z.number(), z.string()], { error: "Must be a number of milliseconds" })
    .describe("Milliseconds; default FAAS_TIMEOUT, clamped to FAAS_MAX_TIMEOUT")
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const ms = typeof value === "number" ? value : value.trim() === "" ? NaN : Number(value);
      if (!Number.isFinite(ms) || ms <= 0) {
        ctx.addIssue({
          code: "custom",
          message: `Must be a positive number of milliseconds, got ${quote(value)}`,
        });
        return z.NEVER;
      }
      return Math.ceil(ms);
    }),
  priority: z.string({ error: `Must be one of ${PRIORITIES.join(", ")}` })
    .describe("urgent, high, normal (default) or low; case-insensitive").optional()
    .transform((value, ctx) => {
      if (value === undefined) return "normal" as Priority;
      const p = value.trim().toLowerCase() as Priority;
      if (!PRIORITIES.includes(p)) {
        ctx.addIssue({
          code: "custom",
          message: `Unsupported priority ${quote(value)}; use one of ${PRIORITIES.join(", ")}`,
        });
        return z.NEVER;
      }
      return p;
    }),
  input: z.unknown().describe("Any JSON; the code sees it as the global INPUT").optional(),
  stdin: z.string({ error: "Must be a string" }).describe("Standard input of the program")
    .optional(),
  args: runArgsSchema.optional(),
  files: runFilesSchema.optional(),
  return_files: returnFilesSchema.optional(),
  tenant: z.string({ error: "Must be a string" })
    .regex(TENANT_PATTERN, "Must be 1 to 128 printable ASCII characters")
    .describe(
      "Who the run is for; runs of different tenants never share an instance. " +
        "Also accepted as the X-Tenant-Id header (this field wins)",
    )
    .optional(),
});

/** A validated request. */
export type ParsedRunRequest = z.output<typeof runRequestSchema>;
