/**
 * Which run outcomes a job retries. By default only a sandbox that died
 * under the run (`killed`) is the service's fault and tried again; a job
 * may also ask for its own failures to be retried: its timeout, its memory
 * limit, or an error raised by its code.
 */

/** What a job may ask to be retried on (`retry_on`). */
export const RETRY_CAUSES = ["killed", "timeout", "memory", "error"] as const;

/** One cause of a retry. */
export type RetryCause = typeof RETRY_CAUSES[number];

/** What a job retries when it names nothing. */
export const DEFAULT_RETRY_ON: readonly RetryCause[] = ["killed"];

/** The retry cause a run status belongs to, or undefined for one never retried. */
export function retryCauseOf(runStatus: string): RetryCause | undefined {
  switch (runStatus) {
    case "killed":
      return "killed";
    case "timeout":
      return "timeout";
    case "memory_limit":
      return "memory";
    case "error":
      return "error";
    default:
      return undefined;
  }
}

/** Whether a run that ended with `runStatus` is tried again under `retryOn`. */
export function isRetried(runStatus: string, retryOn: readonly RetryCause[] | undefined): boolean {
  const cause = retryCauseOf(runStatus);
  return cause !== undefined && (retryOn ?? DEFAULT_RETRY_ON).includes(cause);
}
