/**
 * Why session instances were lost. A session's state lives in its one
 * instance only: when that instance goes (its host died, it failed or had to
 * retire), the session cannot go on, and its next call says why rather
 * than running on a fresh instance that silently lost everything.
 */
import { isSessionKey } from "../core/isolation_key.ts";
import type { ExitReason } from "./host_types.ts";

/** Lost session keys and why, until the session is ended. */
export class SessionLosses {
  #lost = new Map<string, string>();

  /** Records that the instance of `key` is gone (the first reason stays). */
  note(key: string | undefined, reason: string): void {
    if (key === undefined || !isSessionKey(key) || this.#lost.has(key)) return;
    this.#lost.set(key, reason);
  }

  /** Why the instance of `key` is gone, or undefined while it is not. */
  reason(key: string): string | undefined {
    return this.#lost.get(key);
  }

  /** Forgets `key` (its session ended). */
  forget(key: string): void {
    this.#lost.delete(key);
  }
}

/** A host's end, as the reason a session on it was lost. */
export function hostLossReason(reason: ExitReason, memoryLimitMb: number): string {
  switch (reason) {
    case "memory_limit":
      return `its sandbox process went over the memory limit of ${memoryLimitMb} MiB`;
    case "timeout":
      return "a run did not stop at its timeout and its sandbox process was killed";
    case "stopped":
      return "a run did not stop when asked and its sandbox process was killed";
    case "shutdown":
      return "the service shut down";
    default:
      return `its sandbox process ended (${reason})`;
  }
}
