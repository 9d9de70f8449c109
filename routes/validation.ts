/**
 * Request bodies checked against their zod schemas, every fault a
 * BadRequestError naming the fields at fault: one way for every route.
 */
import type { z } from "zod";
import { BadRequestError, type FieldIssue } from "../core/errors.ts";

/** A zod failure as the service's 400, each issue naming its field. */
export function invalid(error: z.ZodError): BadRequestError {
  const details: FieldIssue[] = error.issues.map((issue) => ({
    field: issue.path.join(".") || "body",
    message: issue.message,
  }));
  const fields = [...new Set(details.map((d) => d.field))].join(", ");
  return new BadRequestError(`Invalid request: check ${fields}`, details);
}

/** Validates a JSON object `body` with `schema`, or throws BadRequestError naming the fields. */
export function validated<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError("Request body must be a JSON object", [
      { field: "body", message: "Must be a JSON object" },
    ]);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}
