/**
 * Where each session lives, for replicas that share a Redis: a session's
 * instance stays on the replica that made it, so a replica asked about a
 * session it does not hold looks it up here to say where it is (409) or
 * that its replica is gone (410) rather than "not found". Without Redis
 * there is one replica and nothing to look up.
 */
import type { Language } from "../protocol/host_messages.ts";
import type { Session } from "./session.ts";

/** What the directory keeps of a session held by some replica. */
export interface SessionRecord {
  /** Who may use it (the registry's owner string). */
  owner: string;
  /** The replica holding it. */
  replica: string;
  language: Language;
  /** When it ends unless used again (epoch ms). */
  expiresAt: number;
}

/** A session's record, and whether its replica still beats. */
export interface SessionWhereabouts {
  record: SessionRecord;
  replicaAlive: boolean;
}

/** A session of one owner in the directory. */
export interface ListedSession extends SessionWhereabouts {
  id: string;
}

/** The sessions of every replica, as far as this replica can see them. */
export interface SessionDirectory {
  /** This replica's id; undefined when there are no other replicas to tell apart. */
  readonly replica: string | undefined;
  /** Keeps (or refreshes) the record of a session this replica holds. */
  record(session: Session): Promise<void>;
  /** Drops the record of a session that ended. */
  forget(id: string): Promise<void>;
  /** Where session `id` lives; undefined when no replica recorded it. */
  locate(id: string): Promise<SessionWhereabouts | undefined>;
  /** Every recorded session of `owner`, on any replica. */
  listFor(owner: string): Promise<ListedSession[]>;
  /** Stops the heartbeat and says this replica is gone. */
  close(): Promise<void>;
}

/** The directory of a single replica (SQLite store): nothing is elsewhere. */
export class LocalSessionDirectory implements SessionDirectory {
  readonly replica = undefined;
  record(_session: Session): Promise<void> {
    return Promise.resolve();
  }
  forget(_id: string): Promise<void> {
    return Promise.resolve();
  }
  locate(_id: string): Promise<SessionWhereabouts | undefined> {
    return Promise.resolve(undefined);
  }
  listFor(_owner: string): Promise<ListedSession[]> {
    return Promise.resolve([]);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
