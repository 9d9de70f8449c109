/**
 * A run as the audit log records it (`FAAS_AUDIT_RUNS`): who ran what
 * language, a SHA-256 of the code, how it ended and how long it took;
 * never the code, its input or its output.
 */
import { createHash } from "node:crypto";
import type { RunResult } from "../sandbox/host.ts";
import type { RunRequest } from "../scheduler/types.ts";
import type { AuditInput } from "./audit_log.ts";

/** The audit entry of a finished run, `taskId` its target. */
export function runAuditEntry(taskId: string, request: RunRequest, result: RunResult): AuditInput {
  const keyId = request.account?.keyId ?? "";
  return {
    actor: keyId,
    role: "",
    action: "run",
    target: taskId,
    outcome: "ok",
    after: {
      tenant: request.account?.tenant ?? "",
      key_id: keyId,
      language: request.language,
      code_sha256: createHash("sha256").update(request.code).digest("hex"),
      status: result.status,
      duration_ms: result.durationMs,
    },
    requestId: "",
  };
}
