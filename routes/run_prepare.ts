/**
 * A `/run_code` body (or a job's) made into a run: parsed, validated, its
 * timeout clamped, its input serialized, its tenant and isolation key
 * settled. Every fault is a BadRequestError naming the field.
 */
import { BadRequestError } from "../core/errors.ts";
import type { TenantSource } from "../config/config.ts";
import { type Caller, type HeaderReader, namespaced, requestTenant } from "./tenant.ts";
import type { RunRequest } from "../scheduler/scheduler.ts";
import { runRequestSchema } from "./run_request.ts";
import { validated } from "./validation.ts";
import { isolationKey, type IsolationMode } from "../core/isolation_key.ts";

/** What preparing a run needs of the service's settings. */
export interface PrepareDeps {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** How runs are keyed to instances. */
  isolation: IsolationMode;
  /** Where a request's tenant comes from (see routes/tenant.ts). */
  tenantSource: TenantSource;
}

const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/** The fields `/run_code` reads; any other is reported in `metadata.ignored_fields`. */
const REQUEST_FIELDS: ReadonlySet<string> = new Set(Object.keys(runRequestSchema.shape));

/** Parses a body already read within the size limit. */
export function parseBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = fatalDecoder.decode(bytes);
  } catch {
    throw new BadRequestError("Request body is not valid UTF-8", [
      { field: "body", message: "Must be UTF-8 encoded JSON" },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = `Invalid JSON: ${(e as Error).message}`;
    throw new BadRequestError("Request body is not valid JSON", [{ field: "body", message }]);
  }
}

/** Validates a parsed body into a run request. */
export function validate(body: unknown) {
  return validated(runRequestSchema, body);
}

/** A validated run, ready for the scheduler, with what its response needs. */
export interface PreparedRun {
  request: RunRequest;
  /** The caller's input as given (for debug logs). */
  input: unknown;
  timeoutClamped: boolean;
  ignoredFields: string[];
  /** The run's tenant, before any API key's namespace; undefined for none. */
  tenant: string | undefined;
}

/**
 * Validates a parsed body into a run: timeout clamped, input serialized,
 * tenant and isolation key settled. Throws BadRequestError naming the field.
 */
export function prepareRun(
  body: unknown,
  header: HeaderReader,
  caller: Caller,
  deps: PrepareDeps,
  field = "",
): PreparedRun {
  let req;
  try {
    req = validate(body);
  } catch (err) {
    if (!field || !(err instanceof BadRequestError)) throw err;
    // Inside a batch: name the entry at fault.
    const details = err.details.map((d) => ({ ...d, field: `${field}.${d.field}` }));
    throw new BadRequestError(
      `Invalid request: check ${details.map((d) => d.field).join(", ")}`,
      details,
    );
  }
  const asked = req.timeout ?? deps.defaultTimeoutMs;
  const timeoutMs = Math.min(asked, deps.maxTimeoutMs);
  let input: string;
  try {
    input = JSON.stringify(req.input ?? null);
  } catch {
    throw new BadRequestError("Invalid request: check input", [
      { field: field ? `${field}.input` : "input", message: "Must be JSON-serializable" },
    ]);
  }
  const tenant = requestTenant(body, header, deps.tenantSource, field, caller.tenant);
  const keyId = caller.keyId;
  // A body field the tenant is taken from is read, not ignored.
  const used = deps.tenantSource.from === "body" ? deps.tenantSource.path[0] : undefined;
  return {
    request: {
      language: req.language,
      code: req.code,
      input,
      stdin: req.stdin ?? "",
      ...(req.args?.length && { args: req.args }),
      ...(req.files?.length && { files: req.files }),
      ...(req.return_files?.length && { returnFiles: req.return_files }),
      timeoutMs,
      priority: req.priority,
      // Usage and quotas go to the key's bound tenant, else the tenant the
      // request names (before the key's namespace, so one tenant's runs
      // through several keys add up), else the key, else "" (no keys).
      account: { tenant: tenant ?? keyId ?? "", keyId: keyId ?? "" },
      key: isolationKey(
        deps.isolation,
        namespaced(tenant, keyId),
        req.language,
        req.code,
        req.files,
      ),
    },
    input: req.input,
    timeoutClamped: asked > timeoutMs,
    ignoredFields: Object.keys(body as object).filter((k) => !REQUEST_FIELDS.has(k) && k !== used),
    tenant,
  };
}
