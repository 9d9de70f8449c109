/**
 * `/api/v1/dlq`: the dead letters of every owner, for admins. A dead letter
 * is a job that used up its attempts; it is `pending` until an admin (or
 * its owner) retries it (`retried`: queued again, its job moving on) or an
 * admin discards it (`discarded`: kept, set aside). A purge deletes the
 * pending and discarded ones; retried jobs stay with the other jobs.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app_env.ts";
import { BadRequestError } from "../core/errors.ts";
import { deadLetterState } from "../jobs/types.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { bodyOf, invalid } from "./admin_input.ts";
import { letterBody, letterQueryOf, letterSummaryBody } from "./dlq_bodies.ts";

/** Most ids one batch call takes. */
const MAX_BATCH_IDS = 500;

const idsSchema = z.object({
  ids: z.array(
    z.string({ error: "Must be a string" }).min(1, "Must not be empty").max(
      200,
      "Must be at most 200 characters",
    ),
    { error: "Must be an array of job ids" },
  ).min(1, "Must hold at least one id").max(
    MAX_BATCH_IDS,
    `Must hold at most ${MAX_BATCH_IDS} ids`,
  ),
});

/** What became of one id of a call: done, no such job, or a job that is not dead. */
type Outcome = "ok" | "not_found" | "not_dead";

/** Builds the routes. */
export function dlqRoutes(deps: AdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { store, runner } = deps.jobs;

  /** Retries or discards one dead job; with its state before when it was one. */
  const act = async (
    id: string,
    action: "retry" | "discard",
  ): Promise<{ outcome: Outcome; before?: string }> => {
    const job = await store.get(id);
    if (!job) return { outcome: "not_found" };
    if (job.status !== "dead") return { outcome: "not_dead" };
    const done = action === "retry" ? await runner.retry(id) : await store.discard(id);
    if (done) return { outcome: "ok", before: deadLetterState(job) };
    // Retried or deleted by someone else in between.
    return { outcome: (await store.get(id)) ? "not_dead" : "not_found" };
  };

  const one = (action: "retry" | "discard") => async (c: Context<AppEnv>) => {
    const id = c.req.param("id") ?? "";
    const { outcome, before } = await act(id, action);
    if (outcome === "not_found") return c.json({ error: `No job ${JSON.stringify(id)}` }, 404);
    if (outcome === "not_dead") {
      const job = await store.get(id);
      return c.json({
        error: `Job ${id} is ${job?.status ?? "gone"}; only dead jobs are ${
          action === "retry" ? "retried" : "discarded"
        }`,
      }, 409);
    }
    const state = action === "retry" ? "retried" : "discarded";
    const after = { state, status: action === "retry" ? "queued" : "dead" };
    await deps.record(c, `dlq.${action}`, id, { state: before, status: "dead" }, after);
    return c.json({ id, ...after }, action === "retry" ? 202 : 200);
  };

  const batch = (action: "retry" | "discard") => async (c: Context<AppEnv>) => {
    const parsed = idsSchema.safeParse(await bodyOf(c));
    if (!parsed.success) throw invalid(parsed.error);
    const ids = [...new Set(parsed.data.ids)];
    const results: { id: string; outcome: Outcome }[] = [];
    for (const id of ids) results.push({ id, outcome: (await act(id, action)).outcome });
    const ok = results.filter((r) => r.outcome === "ok").map((r) => r.id);
    if (ok.length) await deps.record(c, `dlq.${action}`, ok.join(","), undefined, { ids: ok });
    return c.json({ results, ok: ok.length });
  };

  app.get("/dlq", async (c) => {
    const { query, page, perPage } = letterQueryOf(c);
    const { letters, total } = await store.deadLetters(query);
    return c.json({
      dead_letters: letters.map(letterSummaryBody),
      total,
      page,
      per_page: perPage,
    });
  });

  app.get("/dlq/stats", async (c) => {
    const counts = await store.deadLetterCounts();
    return c.json({ total: counts.pending + counts.retried + counts.discarded, ...counts });
  });

  app.get("/dlq/:id", async (c) => {
    const id = c.req.param("id");
    const job = await store.get(id);
    if (!job || !deadLetterState(job)) {
      return c.json({ error: `No dead letter ${JSON.stringify(id)}` }, 404);
    }
    return c.json(letterBody(job));
  });

  app.post("/dlq/retry", batch("retry"));
  app.post("/dlq/discard", batch("discard"));
  app.post("/dlq/:id/retry", one("retry"));
  app.post("/dlq/:id/discard", one("discard"));

  app.delete("/dlq", async (c) => {
    if (c.req.query("confirm") !== "true") {
      throw new BadRequestError("Invalid request: check confirm", [{
        field: "confirm",
        message: "Must be true: a purge deletes every pending and discarded dead letter",
      }]);
    }
    const deleted = await store.deleteDeadLetters();
    await deps.record(c, "dlq.purge", "dlq", undefined, { deleted });
    return c.json({ deleted });
  });

  return app;
}
