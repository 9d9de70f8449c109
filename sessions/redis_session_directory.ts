/**
 * The session directory in Redis. Each session is a hash
 * `faas:session:<id>` (owner, replica, language, expires_at) that expires a
 * while after the session would, so a record nobody deleted (its replica
 * died) goes by itself. Each replica renews `faas:replica:<id>` well within
 * its TTL: once the key is gone, so is the replica, and the sessions it held.
 */
import { redisClient } from "../jobs/redis_client.ts";
import type { Language } from "../protocol/host_messages.ts";
import type { Session } from "./session.ts";
import type { SessionDirectory, SessionWhereabouts } from "./session_directory.ts";

const P = "faas:";
const sessionKey = (id: string) => `${P}session:${id}`;
const replicaKey = (id: string) => `${P}replica:${id}`;
/**
 * How long a record outlives its session's expiry, ms: long enough for a
 * run in progress (which holds off expiry) to refresh it when it ends.
 */
const RECORD_SLACK_MS = 10 * 60_000;

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
    this.#client = redisClient(url);
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

  async record(session: Session): Promise<void> {
    await this.#ready;
    const key = sessionKey(session.id);
    await this.#client.multi()
      .hSet(key, {
        owner: session.owner,
        replica: this.replica,
        language: session.language,
        expires_at: String(session.expiresAt),
      })
      .pExpireAt(key, session.expiresAt + RECORD_SLACK_MS)
      .exec();
  }

  async forget(id: string): Promise<void> {
    await this.#ready;
    await this.#client.del(sessionKey(id));
  }

  async locate(id: string): Promise<SessionWhereabouts | undefined> {
    await this.#ready;
    const h = await this.#client.hGetAll(sessionKey(id)) as Record<string, string>;
    if (!h.replica) return undefined;
    const alive = await this.#client.exists(replicaKey(h.replica));
    return {
      record: {
        owner: h.owner,
        replica: h.replica,
        language: h.language as Language,
        expiresAt: Number(h.expires_at),
      },
      replicaAlive: Number(alive) === 1,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#ready.catch(() => {});
    // Gone at once, not a heartbeat TTL later: the sessions went with the shutdown.
    await this.#client.del(replicaKey(this.replica)).catch(() => {});
    await this.#client.close().catch(() => {});
  }
}
