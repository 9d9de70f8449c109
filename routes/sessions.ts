/**
 * Sessions: `POST /sessions` makes one, `POST /sessions/{id}/run` runs code
 * in it (answered like `/run_code`), `GET /sessions[/{id}]` describes them,
 * `DELETE /sessions/{id}` ends one. Only the API key and tenant that made a
 * session can see or use it; to anyone else it does not exist (404). With
 * replicas sharing Redis, a session lives on the replica that made it: the
 * others answer its owner where it is (409) or that its replica is gone (410).
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { AppEnv } from "./app_env.ts";
import type { TenantSource } from "../config/config.ts";
import type { PoolCounts } from "../sandbox/pool.ts";
import type { SessionRegistry } from "../sessions/registry.ts";
import type { Session } from "../sessions/session.ts";
import {
  type ListedSession,
  LocalSessionDirectory,
  type SessionDirectory,
} from "../sessions/session_directory.ts";
import { findSession } from "../sessions/find_session.ts";
import { callerOf, namespaced, requestTenant } from "./tenant.ts";
import { parseBody } from "./run_prepare.ts";
import { scheduledResponse } from "./run_response.ts";
import { admitRuns, settleWith } from "./quota_admission.ts";
import { sessionFileRoutes } from "./session_files.ts";
import type { QuotaGate } from "../admin/quota_gate.ts";
import { NotFoundError } from "../core/errors.ts";
import {
  ignoredFields,
  sessionCreateSchema,
  sessionRunSchema,
  validated,
} from "./session_request.ts";

/** What the session routes need. */
export interface SessionDeps {
  sessions: SessionRegistry;
  /** Where sessions of other replicas live; none (one replica) when left out. */
  sessionDirectory?: SessionDirectory;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  tenantSource: TenantSource;
  /** Instance counts over all pools, for `pool_stats`. */
  poolCounts(): PoolCounts;
  /** Tenants' quotas: a session's runs are admitted like any other run. */
  quotas?: QuotaGate;
}

/**
 * Who owns what a request names: its API key and tenant (the body's
 * `tenant` when it has a body, else the tenant header).
 */
function ownerOf(c: Context<AppEnv>, deps: SessionDeps, body?: unknown): string {
  const { tenant, keyId } = whoOf(c, deps, body);
  return JSON.stringify(namespaced(tenant, keyId) ?? null);
}

/** The request's tenant (before the key's namespace) and key id. */
function whoOf(c: Context<AppEnv>, deps: SessionDeps, body?: unknown) {
  const caller = callerOf(c);
  const tenant = requestTenant(
    body,
    (name) => c.req.header(name),
    deps.tenantSource,
    "",
    caller.tenant,
  );
  return { tenant, keyId: caller.keyId };
}

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  return parseBody(new Uint8Array(await c.req.arrayBuffer()));
}

/** The session routes. */
export function sessionRoutes(deps: SessionDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { sessions } = deps;
  const directory = deps.sessionDirectory ?? new LocalSessionDirectory();
  const find = (id: string, owner: string): Promise<Session> =>
    findSession(sessions, directory, id, owner);

  /**
   * Live sessions of `owner` on other replicas, so that its limit holds
   * across them; 0 when the directory cannot say (then each replica
   * counts its own).
   */
  const elsewhereCount = async (owner: string): Promise<number> => {
    if (directory.replica === undefined) return 0;
    try {
      const listed = await directory.listFor(owner);
      return listed.filter((l) => l.replicaAlive && l.record.replica !== directory.replica)
        .length;
    } catch {
      return 0;
    }
  };

  app.post("/sessions", async (c) => {
    const body = await jsonBody(c);
    const req = validated(sessionCreateSchema, body);
    const owner = ownerOf(c, deps, body);
    const session = sessions.create(
      owner,
      req.language,
      req.ttl_s === undefined ? undefined : Math.ceil(req.ttl_s * 1000),
      await elsewhereCount(owner),
    );
    // Other replicas know where it lives before its id is handed out.
    await directory.record(session).catch(() => {});
    return c.json(
      { ...session.view(), ignored_fields: ignoredFields(sessionCreateSchema, body) },
      201,
    );
  });

  app.get("/sessions", async (c) => {
    const owner = ownerOf(c, deps);
    const replica = directory.replica;
    const here = sessions.list(owner);
    const list: Record<string, unknown>[] = here.map((s) => ({
      ...s.view(),
      ...(replica !== undefined && { replica, replica_alive: true }),
    }));
    const known = new Set(here.map((s) => s.id));
    let elsewhere: ListedSession[];
    try {
      elsewhere = await directory.listFor(owner);
    } catch {
      // The directory is out of reach: what this replica holds, said to be partial.
      return c.json({ sessions: list, partial: true });
    }
    for (const { id, record, replicaAlive } of elsewhere) {
      if (known.has(id) || record.replica === replica) continue;
      list.push({
        id,
        language: record.language,
        expires_at: new Date(record.expiresAt).toISOString(),
        replica: record.replica,
        replica_alive: replicaAlive,
      });
    }
    return c.json({ sessions: list });
  });

  app.get("/sessions/:id", async (c) => {
    return c.json((await find(c.req.param("id"), ownerOf(c, deps))).view());
  });

  app.delete("/sessions/:id", async (c) => {
    const id = c.req.param("id");
    const owner = ownerOf(c, deps);
    try {
      sessions.delete(id, owner);
    } catch (err) {
      // Not here: perhaps on another replica, which find says.
      if (err instanceof NotFoundError) await find(id, owner);
      throw err;
    }
    // Gone for every replica once the answer says so.
    await directory.forget(id).catch(() => {});
    return c.body(null, 204);
  });

  app.post("/sessions/:id/run", async (c) => {
    const body = await jsonBody(c);
    const req = validated(sessionRunSchema, body);
    const who = whoOf(c, deps, body);
    const session = await find(
      c.req.param("id"),
      JSON.stringify(
        namespaced(who.tenant, who.keyId) ?? null,
      ),
    );
    const asked = req.timeout ?? deps.defaultTimeoutMs;
    const timeoutMs = Math.min(asked, deps.maxTimeoutMs);
    const request = {
      language: session.language,
      code: req.code,
      input: JSON.stringify(req.input ?? null),
      stdin: req.stdin ?? "",
      timeoutMs,
      priority: "normal" as const,
      key: session.key,
      // Counted for usage and quotas like every run, as prepareRun counts them.
      account: { tenant: who.tenant ?? who.keyId ?? "", keyId: who.keyId ?? "" },
    };
    const admission = await admitRuns(c, deps.quotas, request.account, 1, true);
    const running = sessions.run(session, request, c.req.raw.signal);
    settleWith(admission, running);
    const scheduled = await running;
    const response = scheduledResponse(
      {
        request,
        timeoutClamped: asked > timeoutMs,
        ignoredFields: ignoredFields(sessionRunSchema, body),
      },
      scheduled,
      deps.poolCounts(),
    );
    return c.json({ ...response, session: session.view() });
  });

  app.route("/", sessionFileRoutes({ sessions, find, ownerOf: (c) => ownerOf(c, deps) }));
  return app;
}
