/** Reading the admin API's input: JSON bodies, pages, times; faults as 400 naming the field. */
import type { Context } from "hono";

import { BadRequestError } from "../core/errors.ts";
import { parseBody } from "./run_prepare.ts";
import { TENANT_PATTERN } from "./run_request.ts";

/** The request's JSON body (400 when it is not JSON). */
export async function bodyOf(c: Context): Promise<unknown> {
  return parseBody(new Uint8Array(await c.req.arrayBuffer()));
}

export { invalid } from "./validation.ts";

const fault = (field: string, message: string) =>
  new BadRequestError(`Invalid request: check ${field}`, [{ field, message }]);

/** Most entries one page may hold. */
export const MAX_PER_PAGE = 500;

/** `page` (from 1) and `per_page` (1-500, default 50) of a listing. */
export function pageOf(c: Context): { page: number; perPage: number; offset: number } {
  const number = (name: string, fallback: number, max: number) => {
    const raw = c.req.query(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > max) {
      throw fault(name, `Must be a whole number from 1 to ${max}`);
    }
    return n;
  };
  const page = number("page", 1, 1_000_000);
  const perPage = number("per_page", 50, MAX_PER_PAGE);
  return { page, perPage, offset: (page - 1) * perPage };
}

/** A time given as ISO 8601 or epoch milliseconds, or undefined when absent. */
export function timeOf(c: Context, name: string): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw fault(name, "Must be an ISO 8601 time or epoch milliseconds");
  }
  return ms;
}

/** `from` and `to` (see `timeOf`), refused when `from` is after `to`. */
export function rangeOf(c: Context): { from?: number; to?: number } {
  const from = timeOf(c, "from");
  const to = timeOf(c, "to");
  if (from !== undefined && to !== undefined && from > to) {
    throw fault("from", "Must not be after to");
  }
  return { from, to };
}

/** A tenant named by the request (`field`: where), refused unless well formed. */
export function tenantOf(value: string, field = "tenant"): string {
  if (!TENANT_PATTERN.test(value)) {
    throw fault(field, "Must be 1 to 128 printable ASCII characters");
  }
  return value;
}
