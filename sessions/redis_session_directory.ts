/**
 * The session directory in Redis. Each session is a hash
 * `faas:session:<id>` (owner, replica, language, expires_at) that expires a
 * while after the session would, so a record nobody deleted (its replica
 * died) goes by itself. Each replica renews `faas:replica:<id>` well within
 * its TTL: once the key is gone, so is the replica, and the sessions it held.
 * A set `faas:sessions-of:<owner hash>` holds the ids of each owner's
 * sessions, for listing them on any replica; it expires with the last of
 * them, and ids whose record is gone are pruned when listed.
 */
import { closeRedis, redisClient } from "../jobs/redis_client.ts";
import type { Language } from "../protocol/host_messages.ts";
import type { Session } from "./session.ts";
import type {
  ListedSession,
  SessionDirectory,
  SessionRecord,
  SessionWhereabouts,
} from "./session_directory.ts";

const P = "faas:";
const sessionKey = (id: string) => `${P}session:${id}`;
const replicaKey = (id: string) => `${P}replica:${id}`;

/** The key of `owner`'s set of session ids (owners are long: hashed). */
async function ownerKey(owner: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(owner));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${P}sessions-of:${hex}`;
}

function recordOf(h: Record<string, string>): SessionRecord {
  return {
    owner: h.owner,
    replica: h.replica,
    language: h.language as Language,
    expiresAt: Number(h.expires_at),
  };
}
/**
 * How long a record outlives its session's expiry, ms: long enough for a
 * run in progress (which holds off expiry) to refresh it when it ends.
 */
const RECORD_SLACK_MS = 10 * 60_000;

/**
 * How long a directory call may take, ms. The directory only ever improves
 * an answer (409 or 410 rather than 404, other replicas' sessions in a
 * listing): a Redis that is down must not hold up the call it serves.
 */
const CALL_TIMEOUT_MS = 1500;

/** `work`, or a rejection once it took longer than {@linkcode CALL_TIMEOUT_MS}. */
async function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("Redis did not answer in time")),
          CALL_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A replica id: the host name, for operators to route by, and a random part. */
function newReplicaId(): string {
  let host = "replica";
  try {
    host = Deno.hostname();
  } catch {
    // Without --allow-sys the random part alone tells replicas apart.
  }
  return `${host}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Sessions of every replica sharing one Redis. */
export class RedisSessionDirectory implements SessionDirectory {
  readonly replica = newReplicaId();
  #client;
  #ready: Promise<unknown>;
  #heartbeatMs: number;
  #timer: ReturnType<typeof setInterval>;

  constructor(url: string, heartbeatMs: number) {
    this.#client = redisClient(url, { failFast: true });
    this.#ready = this.#client.connect();
    this.#heartbeatMs = heartbeatMs;
    // Several beats per TTL, so one slow beat does not make the replica look gone.
    this.#timer = setInterval(() => this.#beat().catch(() => {}), heartbeatMs / 3);
    this.#beat().catch(() => {});
  }

  async #beat(): Promise<void> {
    await this.#ready;
    await this.#client.set(replicaKey(this.replica), String(Date.now()), {
      expiration: { type: "PX", value: this.#heartbeatMs },
    });
  }

  record(session: Session): Promise<void> {
    return bounded(this.#record(session));
  }

  async #record(session: Session): Promise<void> {
    await this.#ready;
    const key = sessionKey(session.id);
    const owned = await ownerKey(session.owner);
    const until = session.expiresAt + RECORD_SLACK_MS;
    await this.#client.multi()
      .hSet(key, {
        owner: session.owner,
        replica: this.replica,
        language: session.language,
        expires_at: String(session.expiresAt),
      })
      .pExpireAt(key, until)
      .sAdd(owned, session.id)
      // The set lives as long as its longest-lived session: NX gives a new
      // set its expiry, GT only ever moves it later.
      .pExpireAt(owned, until, "NX")
      .pExpireAt(owned, until, "GT")
      .exec();
  }

  forget(id: string): Promise<void> {
    return bounded(this.#forget(id));
  }

  async #forget(id: string): Promise<void> {
    await this.#ready;
    const owner = await this.#client.hGet(sessionKey(id), "owner");
    const done = this.#client.multi().del(sessionKey(id));
    if (typeof owner === "string") done.sRem(await ownerKey(owner), id);
    await done.exec();
  }

  listFor(owner: string): Promise<ListedSession[]> {
    return bounded(this.#listFor(owner));
  }

  async #listFor(owner: string): Promise<ListedSession[]> {
    await this.#ready;
    const owned = await ownerKey(owner);
    const ids = (await this.#client.sMembers(owned)).map(String).sort();
    const out: ListedSession[] = [];
    const alive = new Map<string, boolean>();
    for (const id of ids) {
      const h = await this.#client.hGetAll(sessionKey(id)) as Record<string, string>;
      // Its record expired or was deleted: the id goes too.
      if (!h.replica || h.owner !== owner) {
        await this.#client.sRem(owned, id);
        continue;
      }
      if (!alive.has(h.replica)) {
        alive.set(h.replica, Number(await this.#client.exists(replicaKey(h.replica))) === 1);
      }
      out.push({ id, record: recordOf(h), replicaAlive: alive.get(h.replica)! });
    }
    return out;
  }

  locate(id: string): Promise<SessionWhereabouts | undefined> {
    return bounded(this.#locate(id));
  }

  async #locate(id: string): Promise<SessionWhereabouts | undefined> {
    await this.#ready;
    const h = await this.#client.hGetAll(sessionKey(id)) as Record<string, string>;
    if (!h.replica) return undefined;
    const alive = await this.#client.exists(replicaKey(h.replica));
    return { record: recordOf(h), replicaAlive: Number(alive) === 1 };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#ready.catch(() => {});
    // Gone at once, not a heartbeat TTL later: the sessions went with the shutdown.
    await this.#client.del(replicaKey(this.replica)).catch(() => {});
    await closeRedis(this.#client);
  }
}
