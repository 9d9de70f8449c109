/**
 * The message that sends a run to its instance's worker: the request's
 * fields the worker needs, and nothing it does not (absent options are
 * left out rather than sent empty).
 */
import type { RunMessage } from "../protocol/host_messages.ts";
import type { RunRequest } from "./types.ts";

/** The run message for run `id` of `request` on worker `wid`. */
export function runMessage(
  wid: number,
  id: number,
  request: RunRequest,
  maxOutputBytes: number,
): RunMessage {
  const r = request;
  return {
    t: "run",
    wid,
    id,
    language: r.language,
    code: r.code,
    input: r.input,
    stdin: r.stdin,
    ...(r.args?.length && { args: r.args }),
    ...(r.files?.length && { files: r.files }),
    ...(r.entry !== undefined && { entry: r.entry }),
    ...(r.returnFiles?.length && { returnFiles: r.returnFiles }),
    ...(r.fileOp && { fileOp: r.fileOp }),
    timeoutMs: r.timeoutMs,
    maxOutputBytes,
    ...(r.onOutput && { stream: true }),
    ...(r.persist && { persist: true }),
  };
}
