/** Bodies of the session routes, validated with the fields `/run_code` takes. */
import { z } from "zod";
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

export { validated } from "./validation.ts";

/** Fields of `body` that `schema` does not know (accepted, and ignored). */
export function ignoredFields(schema: z.ZodObject, body: unknown): string[] {
  const known = new Set(Object.keys(schema.shape));
  return Object.keys(body as object).filter((k) => !known.has(k));
}
