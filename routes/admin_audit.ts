/**
 * `/api/v1/audit`: who did what to the service, newest first, as JSON or
 * CSV; `/api/v1/audit/actions` lists the actions.
 */
import { Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { AuditEntry } from "../admin/types.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { pageOf, timeOf } from "./admin_input.ts";
import { BadRequestError } from "../core/errors.ts";

/** The actions the service records (runs only with FAAS_AUDIT_RUNS). */
export const AUDIT_ACTIONS = [
  "key.create",
  "key.revoke",
  "quota.update",
  "quota.delete",
  "settings.update",
  "dlq.retry",
  "dlq.discard",
  "dlq.purge",
  "retention.cleanup",
  "run",
] as const;

/** An entry as the API shows it. */
export function auditBody(e: AuditEntry) {
  return {
    id: e.id,
    time: new Date(e.at).toISOString(),
    actor: e.actor,
    role: e.role,
    action: e.action,
    target: e.target,
    outcome: e.outcome,
    ...(e.before !== undefined && { before: e.before }),
    ...(e.after !== undefined && { after: e.after }),
    request_id: e.requestId,
    ...(e.reason !== undefined && { reason: e.reason }),
  };
}

const CSV_COLUMNS = [
  "time",
  "actor",
  "role",
  "action",
  "target",
  "outcome",
  "request_id",
  "reason",
  "before",
  "after",
] as const;

function csvCell(value: unknown): string {
  const text = value === undefined || value === null
    ? ""
    : typeof value === "string"
    ? value
    : JSON.stringify(value);
  // Quoted always; a leading =, +, - or @ is defused for spreadsheets.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** Builds the routes. */
export function auditRoutes(deps: AdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/audit", async (c) => {
    const format = c.req.query("format") ?? "json";
    if (format !== "json" && format !== "csv") {
      throw new BadRequestError("Invalid request: check format", [
        { field: "format", message: "Must be json or csv" },
      ]);
    }
    const { page, perPage, offset } = pageOf(c);
    const from = timeOf(c, "from");
    const to = timeOf(c, "to");
    const { entries, total } = await deps.store.queryAudit({
      action: c.req.query("action") || undefined,
      actor: c.req.query("actor") || undefined,
      from,
      to,
      limit: perPage,
      offset,
    });
    const rows = entries.map(auditBody);
    if (format === "csv") {
      const lines = [CSV_COLUMNS.join(",")];
      for (const row of rows) {
        const r = row as Record<string, unknown>;
        lines.push(CSV_COLUMNS.map((col) => csvCell(r[col])).join(","));
      }
      c.header("Content-Type", "text/csv; charset=utf-8");
      c.header("Content-Disposition", 'attachment; filename="audit.csv"');
      return c.body(lines.join("\r\n") + "\r\n");
    }
    return c.json({ entries: rows, total, page, per_page: perPage });
  });

  app.get("/audit/actions", async (c) => {
    const seen = await deps.store.auditActions();
    const refused = seen.filter((a) => !(AUDIT_ACTIONS as readonly string[]).includes(a));
    return c.json({ actions: [...AUDIT_ACTIONS], seen, refused_calls: refused });
  });

  return app;
}
