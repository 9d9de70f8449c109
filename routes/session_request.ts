/** Bodies of the session routes, validated with the fields `/run_code` takes. */
import { z } from "zod";
import { BadRequestError, type FieldIssue } from "../core/errors.ts";
import { runRequestSchema } from "./run_request.ts";

const run = runRequestSchema.shape;

/** `POST /sessions`. */
export const sessionCreateSchema = z.looseObject({
  language: run.language,
  ttl_s: z.number({ error: "Must be a number of seconds" }).positive("Must be positive")
    .describe(
      "Idle seconds after which the session ends; default FAAS_SESSION_TTL_S, " +
        "clamped to FAAS_SESSION_MAX_TTL_S",
    )
    .optional(),
  tenant: run.tenant,
});

/** `POST /sessions/{id}/run`. */
export const sessionRunSchema = z.looseObject({
  code: run.code.describe("The code, run in the session's interpreter or context"),
  input: run.input,
  timeout: run.timeout,
  stdin: run.stdin,
  tenant: run.tenant,
});

/** Validates `body` with `schema`, or throws BadRequestError naming the fields at fault. */
export function validated<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError("Request body must be a JSON object", [
      { field: "body", message: "Must be a JSON object" },
    ]);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const details: FieldIssue[] = parsed.error.issues.map((issue) => ({
      field: issue.path.join(".") || "body",
      message: issue.message,
    }));
    const fields = [...new Set(details.map((d) => d.field))].join(", ");
    throw new BadRequestError(`Invalid request: check ${fields}`, details);
  }
  return parsed.data;
}

/** Fields of `body` that `schema` does not know (accepted, and ignored). */
export function ignoredFields(schema: z.ZodObject, body: unknown): string[] {
  const known = new Set(Object.keys(schema.shape));
  return Object.keys(body as object).filter((k) => !known.has(k));
}
