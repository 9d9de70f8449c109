/**
 * `/api/v1/keys`: API keys with a tenant and a role. The secret is shown
 * once, when the key is made, and kept only as its SHA-256; a revoked key
 * is refused from the next request on, on every replica sharing the store.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app_env.ts";
import { BadRequestError, ConflictError } from "../core/errors.ts";
import { type KeyRecord, ROLES } from "../admin/types.ts";
import { type ApiKeyRing, secretHash } from "./auth.ts";
import { TENANT_PATTERN } from "./run_request.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { bodyOf, invalid } from "./admin_input.ts";

const createSchema = z.object({
  tenant: z.string({ error: "Must be a string" }).regex(
    TENANT_PATTERN,
    "Must be 1 to 128 printable ASCII characters",
  ),
  role: z.enum(ROLES, { error: `Must be one of ${ROLES.join(", ")}` }),
  name: z.string({ error: "Must be a string" }).trim().min(1, "Must not be empty").max(
    100,
    "Must be at most 100 characters",
  ),
});

/** Key ids made here: never the 8-hex-digit form of configured keys. */
const KEY_ID = /^key_[0-9a-f]{16}$/;

const iso = (ms: number) => new Date(ms).toISOString();

/** A stored key as the API shows it: never its hash. */
function keyBody(k: KeyRecord) {
  return {
    id: k.id,
    tenant: k.tenant,
    role: k.role,
    name: k.name,
    created_at: iso(k.createdAt),
    source: "api",
  };
}

function configuredKeys(ring: ApiKeyRing, role: "runner" | "admin", source: string) {
  return ring.entries().map((k) => ({
    id: k.id,
    tenant: role === "runner" ? k.id : null,
    role,
    name: source,
    created_at: null,
    source,
  }));
}

/** Builds the routes. */
export function keyRoutes(deps: AdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/keys", async (c) => {
    const parsed = createSchema.safeParse(await bodyOf(c));
    if (!parsed.success) throw invalid(parsed.error);
    const { tenant, role, name } = parsed.data;
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const secret = `fsk_${
      btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (ch) =>
        ({ "+": "-", "/": "_", "=": "" })[ch]!)
    }`;
    const idBytes = crypto.getRandomValues(new Uint8Array(8));
    const record: KeyRecord = {
      id: `key_${Array.from(idBytes, (b) => b.toString(16).padStart(2, "0")).join("")}`,
      tenant,
      role,
      name,
      createdAt: Date.now(),
      hash: secretHash(secret),
    };
    await deps.store.createKey(record);
    const shown = keyBody(record);
    await deps.record(c, "key.create", record.id, undefined, shown);
    return c.json({ ...shown, key: secret }, 201);
  });

  app.get("/keys", async (c) => {
    const made = (await deps.store.listKeys()).map(keyBody);
    return c.json({
      keys: [
        ...configuredKeys(deps.adminKeys, "admin", "FAAS_ADMIN_KEYS"),
        ...configuredKeys(deps.runnerKeys, "runner", "FAAS_API_KEYS"),
        ...made,
      ],
    });
  });

  app.delete("/keys/:id", async (c) => {
    const id = c.req.param("id");
    const configured = [...deps.adminKeys.entries(), ...deps.runnerKeys.entries()]
      .some((k) => k.id === id);
    if (configured) {
      throw new ConflictError(`Key ${id} is configured, not made with this API`, [{
        field: "id",
        message: "Remove it from FAAS_API_KEYS or FAAS_ADMIN_KEYS and restart (or SIGHUP)",
      }]);
    }
    if (!KEY_ID.test(id)) {
      throw new BadRequestError(`Invalid key id ${JSON.stringify(id.slice(0, 60))}`, [{
        field: "id",
        message: "Must be key_ followed by 16 hex digits",
      }]);
    }
    const removed = await deps.store.deleteKey(id);
    if (!removed) return c.json({ error: `No key ${id}` }, 404);
    const before = keyBody(removed);
    await deps.record(c, "key.revoke", id, before, undefined);
    return c.json({ ...before, revoked: true });
  });

  return app;
}
