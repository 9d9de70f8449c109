/**
 * Finds a session for its owner on this replica or, failing that, says
 * where it is: on another live replica (409) or on one that is gone (410).
 * To anyone but its owner a session elsewhere does not exist either (404).
 */
import { NotFoundError, SessionElsewhereError, SessionReplicaGoneError } from "../core/errors.ts";
import type { SessionRegistry } from "./registry.ts";
import type { Session } from "./session.ts";
import type { SessionDirectory, SessionWhereabouts } from "./session_directory.ts";

/**
 * The live session `id` of `owner` on this replica. Throws what the
 * registry throws, except that a session this replica never held but
 * another recorded is SessionElsewhereError or SessionReplicaGoneError.
 */
export async function findSession(
  sessions: SessionRegistry,
  directory: SessionDirectory,
  id: string,
  owner: string,
): Promise<Session> {
  try {
    return sessions.find(id, owner);
  } catch (err) {
    if (!(err instanceof NotFoundError) || directory.replica === undefined) throw err;
    let where: SessionWhereabouts | undefined;
    try {
      where = await directory.locate(id);
    } catch {
      // Redis unreachable: what this replica knows is still the truth about its own sessions.
      throw err;
    }
    // Its own ended sessions keep the registry's answer (expired, deleted).
    if (!where || where.record.owner !== owner || where.record.replica === directory.replica) {
      throw err;
    }
    if (where.replicaAlive) throw new SessionElsewhereError(id, where.record.replica);
    throw new SessionReplicaGoneError(id, where.record.replica);
  }
}
