/**
 * Isolation keys: two runs may share an instance (its interpreter or realm,
 * wasm memory, filesystem and caches) only when their keys are equal.
 */
import { createHash } from "node:crypto";

/** How keys are formed (`FAAS_ISOLATION`). */
export type IsolationMode = "code" | "tenant" | "run";

/** The modes, for validation and documentation. */
export const ISOLATION_MODES: readonly IsolationMode[] = ["code", "tenant", "run"];

const SINGLE_USE = "once:";

/**
 * The key of a run.
 * - `code`: the tenant (or none) plus the SHA-256 of the language, code and
 *   files (when the run has any);
 * - `tenant`: the tenant; a run without one gets a key of its own;
 * - `run`: a key of its own for every run.
 * A key of its own is single-use: its instance is dropped after the run.
 */
export function isolationKey(
  mode: IsolationMode,
  tenant: string | undefined,
  language: string,
  code: string,
  files?: readonly { name: string; content: string }[],
): string {
  if (mode === "code") {
    // One update, not one per part: each is a call into the runtime. A
    // run's files are code too (modules it imports): part of what is keyed.
    const keyed = files?.length
      ? `${language}\0${code}\0${JSON.stringify(files)}`
      : `${language}\0${code}`;
    const digest = createHash("sha256").update(keyed).digest("hex");
    // JSON keeps "a" + "/b" apart from "a/" + "b" and a tenant from none.
    return `code:${JSON.stringify([tenant ?? null, digest])}`;
  }
  if (mode === "tenant" && tenant !== undefined) return `tenant:${JSON.stringify(tenant)}`;
  return `${SINGLE_USE}${crypto.randomUUID()}`;
}

/** Whether no other run can ever have this key. */
export function isSingleUse(key: string): boolean {
  return key.startsWith(SINGLE_USE);
}

const SESSION = "session:";

/**
 * The key of a session: its own, so its instance serves that session only
 * and is kept between runs (see sessions/).
 */
export function sessionKey(id: string): string {
  return `${SESSION}${id}`;
}

/** Whether `key` is a session's: its instance keeps its state and is never dropped for idling. */
export function isSessionKey(key: string): boolean {
  return key.startsWith(SESSION);
}
