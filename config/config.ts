/**
 * Service configuration, read once from the environment at start-up,
 * validated, and frozen. Invalid values stop start-up with a message naming
 * the variable at fault.
 */
import { z } from "zod";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../core/log.ts";
import { loadKeys } from "./config_keys.ts";
import { ISOLATION_MODES, type IsolationMode } from "../core/isolation_key.ts";
import { type ContainerLimits, readContainerLimits } from "./container_limits.ts";
import { sizeForContainer } from "./container_sizing.ts";
import { bool, int, nameList, url } from "./env_values.ts";
import { parseTenantSource, type TenantSource } from "./tenant_source.ts";
export { parseTenantSource, type TenantSource } from "./tenant_source.ts";

const schema = z.object({
  FAAS_PORT: int("FAAS_PORT", 8000, 0, 65535),
  FAAS_METRICS_PORT: int("FAAS_METRICS_PORT", -1, 0, 65535),
  FAAS_HOST: z.string().optional().transform((v) => v?.trim() || "127.0.0.1"),
  FAAS_POOL_SIZE: int("FAAS_POOL_SIZE", 4, 2, 256),
  FAAS_MAX_INSTANCES: int("FAAS_MAX_INSTANCES", 8, 2, 256),
  FAAS_TIMEOUT: int("FAAS_TIMEOUT", 30_000, 1, 3_600_000),
  FAAS_MAX_TIMEOUT: int("FAAS_MAX_TIMEOUT", 300_000, 1, 3_600_000),
  FAAS_MAX_QUEUE: int("FAAS_MAX_QUEUE", 1000, 0, 1_000_000),
  FAAS_MAX_QUEUE_WAIT: int("FAAS_MAX_QUEUE_WAIT", 30_000, 1, 3_600_000),
  FAAS_AGING_MS: int("FAAS_AGING_MS", 1000, 1, 3_600_000),
  FAAS_MAX_RUNS: int("FAAS_MAX_RUNS", 10_000, 1, 100_000_000),
  FAAS_IDLE_TIMEOUT: int("FAAS_IDLE_TIMEOUT", 60_000, 1000, 86_400_000),
  FAAS_MAX_OUTPUT_BYTES: int("FAAS_MAX_OUTPUT_BYTES", 1024 * 1024, 1, 64 * 1024 * 1024),
  FAAS_MAX_BODY_BYTES: int("FAAS_MAX_BODY_BYTES", 1024 * 1024, 1024, 256 * 1024 * 1024),
  FAAS_MEMORY_LIMIT_MB: int("FAAS_MEMORY_LIMIT_MB", 256, 128, 16 * 1024),
  FAAS_KILL_GRACE_MS: int("FAAS_KILL_GRACE_MS", 200, 10, 10_000),
  FAAS_DEMOTE_AFTER_MS: int("FAAS_DEMOTE_AFTER_MS", 100, 0, 3_600_000),
  FAAS_SHUTDOWN_GRACE_MS: int("FAAS_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
  FAAS_WORKER_COUNT: int("FAAS_WORKER_COUNT", 0, 0, 256),
  FAAS_WORKSPACE: z.string().optional(),
  FAAS_PYODIDE_DIR: z.string().optional(),
  FAAS_SNAPSHOT_DIR: z.string().optional(),
  FAAS_CGROUP_DIR: z.string().optional(),
  FAAS_PYTHON_PACKAGES_DIR: z.string().optional(),
  FAAS_JOB_STORE: z.string().optional(),
  FAAS_JOB_TTL: int("FAAS_JOB_TTL", 3_600_000, 1000, 30 * 24 * 3_600_000),
  FAAS_JOB_MAX_ATTEMPTS: int("FAAS_JOB_MAX_ATTEMPTS", 3, 1, 100),
  FAAS_JOB_MAX_RESULT_BYTES: int("FAAS_JOB_MAX_RESULT_BYTES", 2 ** 20, 1024, 2 ** 30),
  FAAS_JOB_MAX_OWNER_BYTES: int("FAAS_JOB_MAX_OWNER_BYTES", 64 * 2 ** 20, 1024, 2 ** 40),
  FAAS_MAX_BATCH: int("FAAS_MAX_BATCH", 100, 1, 10_000),
  FAAS_SESSION_TTL_S: int("FAAS_SESSION_TTL_S", 600, 1, 30 * 86_400),
  FAAS_SESSION_MAX_TTL_S: int("FAAS_SESSION_MAX_TTL_S", 3600, 1, 30 * 86_400),
  FAAS_MAX_SESSIONS_PER_KEY: int("FAAS_MAX_SESSIONS_PER_KEY", 10, 0, 100_000),
  FAAS_MAX_SESSIONS: int("FAAS_MAX_SESSIONS", 32, 0, 100_000),
  FAAS_REPLICA_HEARTBEAT_S: int("FAAS_REPLICA_HEARTBEAT_S", 10, 1, 3600),
  FAAS_SESSION_MAX_FILE_BYTES: int(
    "FAAS_SESSION_MAX_FILE_BYTES",
    10 * 1024 * 1024,
    1,
    256 * 1024 * 1024,
  ),
  FAAS_SESSION_MAX_FILES_BYTES: int(
    "FAAS_SESSION_MAX_FILES_BYTES",
    50 * 1024 * 1024,
    1,
    1024 * 1024 * 1024,
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: url("OTEL_EXPORTER_OTLP_ENDPOINT"),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
  OTEL_SERVICE_NAME: z.string().optional(),
  FAAS_PYTHON_PACKAGES: nameList("FAAS_PYTHON_PACKAGES", /^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  FAAS_PYTHON_PRELOAD: nameList("FAAS_PYTHON_PRELOAD", /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/),
  FAAS_API_KEYS: z.string().optional(),
  FAAS_API_KEYS_FILE: z.string().optional(),
  FAAS_ADMIN_KEYS: z.string().optional(),
  FAAS_AUDIT_RUNS: bool("FAAS_AUDIT_RUNS", false),
  FAAS_OPEN_ROUTES: z.string().optional(),
  FAAS_KEY_MAX_CONCURRENT: int("FAAS_KEY_MAX_CONCURRENT", 0, 0, 1_000_000),
  FAAS_KEY_RUNS_PER_MINUTE: int("FAAS_KEY_RUNS_PER_MINUTE", 0, 0, 100_000_000),
  FAAS_TRUSTED_TENANT_HEADER: z.string().optional().transform((v, ctx) => {
    const value = (v?.trim() || "false").toLowerCase();
    if (["true", "1", "yes"].includes(value)) return true;
    if (["false", "0", "no"].includes(value)) return false;
    ctx.addIssue({
      code: "custom",
      message: `FAAS_TRUSTED_TENANT_HEADER must be true or false, got "${v}"`,
    });
    return z.NEVER;
  }),
  FAAS_TENANT_FROM: z.string().optional().transform((v, ctx) => {
    const value = v?.trim();
    if (!value) return undefined;
    const source = parseTenantSource(value);
    if (source) return source;
    ctx.addIssue({
      code: "custom",
      message:
        `FAAS_TENANT_FROM must be header:<Header-Name> or body:<field>[.<field>...], got "${v}"`,
    });
    return z.NEVER;
  }),
  FAAS_ISOLATION: z.string().optional().transform((v, ctx) => {
    const mode = (v?.trim() || "code").toLowerCase() as IsolationMode;
    if (!ISOLATION_MODES.includes(mode)) {
      ctx.addIssue({
        code: "custom",
        message: `FAAS_ISOLATION must be one of ${ISOLATION_MODES.join(", ")}, got "${v}"`,
      });
      return z.NEVER;
    }
    return mode;
  }),
  FAAS_WARM_MEMORY_MB: int("FAAS_WARM_MEMORY_MB", 2048, 256, 1024 * 1024),
  FAAS_SPARES_PER_HOST: int("FAAS_SPARES_PER_HOST", 1, 0, 16),
  FAAS_LOG_FORMAT: z.string().optional().transform((v, ctx) => {
    const format = (v?.trim() || "text").toLowerCase();
    if (format !== "json" && format !== "text") {
      ctx.addIssue({ code: "custom", message: `FAAS_LOG_FORMAT must be json or text, got "${v}"` });
      return z.NEVER;
    }
    return format as LogFormat;
  }),
  FAAS_LOG_LEVEL: z.string().optional().transform((v, ctx) => {
    const level = (v?.trim() || "info").toLowerCase() as LogLevel;
    if (!LOG_LEVELS.includes(level)) {
      ctx.addIssue({
        code: "custom",
        message: `FAAS_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${v}"`,
      });
      return z.NEVER;
    }
    return level;
  }),
});

/** Every environment variable the configuration reads (docs/configuration.md documents each). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(schema.shape));

/** The validated configuration. */
export interface Config {
  /** TCP port to listen on (0 picks a free one). */
  readonly port: number;
  /** SQLite file of the jobs API (":memory:" for none on disk). */
  readonly jobStore: string;
  /** How long finished jobs are kept, ms. */
  readonly jobTtlMs: number;
  /** Attempts before a job the service keeps failing is dead. */
  readonly jobMaxAttempts: number;
  /** Bytes of a job's result kept; a larger one is stored cut, and says so. */
  readonly jobMaxResultBytes: number;
  /** Bytes of results one owner's kept jobs may hold before its new jobs are refused (507). */
  readonly jobMaxOwnerBytes: number;
  /** Most runs in one batch submission. */
  readonly maxBatch: number;
  /** Idle time after which a session ends when it names no TTL, ms. */
  readonly sessionTtlMs: number;
  /** Longest idle TTL a session may ask for, ms. */
  readonly sessionMaxTtlMs: number;
  /** Live sessions per API key and tenant; 0 turns sessions off. */
  readonly maxSessionsPerKey: number;
  /** Live sessions in all (each holds an instance); 0 turns sessions off. */
  readonly maxSessions: number;
  /**
   * How long a replica sharing Redis counts as alive after its last
   * heartbeat, ms; past it, its sessions are answered as gone (410).
   */
  readonly replicaHeartbeatMs: number;
  /** Bytes of one file uploaded to a session. */
  readonly sessionMaxFileBytes: number;
  /** Bytes a session's files may take together once a file is uploaded. */
  readonly sessionMaxFilesBytes: number;
  /** OTLP/HTTP URL spans are sent to; undefined to export none. */
  readonly otlpTracesUrl?: string;
  /** The `service.name` of exported spans. */
  readonly serviceName: string;
  /** A second port serving only /metrics and health; undefined for none. */
  readonly metricsPort?: number;
  /** Address to listen on. */
  readonly host: string;
  /** Host processes kept at all times, split between the runtimes. */
  readonly poolSize: number;
  /** Most host processes alive at once, all runtimes together. */
  readonly maxInstances: number;
  /** How runs are keyed to instances. */
  readonly isolation: IsolationMode;
  /** Where a request's tenant comes from (`FAAS_TENANT_FROM`). */
  readonly tenantSource: TenantSource;
  /** Memory all hosts together may use before idle instances are evicted, MiB. */
  readonly warmMemoryMb: number;
  /** CPU cores the scheduler counts: the container's CPU limit when it has one, else the machine's. */
  readonly cores: number;
  /** What was sized from the container's limits, for the start-up line; undefined if nothing. */
  readonly containerSizing?: string;
  /** Spare instances each host keeps ready for new keys. */
  readonly sparesPerHost: number;
  /** Run timeout when the request names none, ms. */
  readonly defaultTimeoutMs: number;
  /** Longest timeout a request may ask for, ms; longer ones are clamped. */
  readonly maxTimeoutMs: number;
  /** Most runs waiting in the queue before 429. */
  readonly maxQueue: number;
  /** Longest a run may wait in the queue before 503, ms. */
  readonly maxQueueWaitMs: number;
  /** Wait after which a queued run is promoted one priority class, ms. */
  readonly agingMs: number;
  /** Runs after which an instance is dropped. */
  readonly maxRuns: number;
  /** Idle time after which an instance, or a host beyond the pool size, stops, ms. */
  readonly idleTimeoutMs: number;
  /** Cap on each of stdout and stderr per run, bytes. */
  readonly maxOutputBytes: number;
  /** Cap on a request body, bytes. */
  readonly maxBodyBytes: number;
  /** Memory cap per instance, MiB. */
  readonly memoryLimitMb: number;
  /** Time a soft stop gets before the host is killed, ms. */
  readonly killGraceMs: number;
  /** CPU-bound time after which a run's thread gets the lowest priority, ms; 0 never. */
  readonly demoteAfterMs: number;
  /** Time in-flight runs get to finish on shutdown, ms. */
  readonly shutdownGraceMs: number;
  /** Directory holding Pyodide's files; undefined for the bundled package. */
  readonly pyodideDir?: string;
  /** Where Python memory snapshots are kept across starts; undefined for nowhere. */
  readonly snapshotDir?: string;
  /** Directory of wheels Python packages are installed from. */
  readonly pythonPackagesDir?: string;
  /** Python packages installed at start (with their dependencies). */
  readonly pythonPackages: readonly string[];
  /** Python modules imported into the snapshot besides the standard ones. */
  readonly pythonPreload: readonly string[];
  /** Accepted API keys; empty means no authentication. */
  readonly apiKeys: readonly string[];
  /** Admin keys (`FAAS_ADMIN_KEYS`); none turns the admin API off. */
  readonly adminKeys: readonly string[];
  /** Whether every run is recorded in the audit log (its metadata only). */
  readonly auditRuns: boolean;
  /** Routes that need no key even when keys are set. */
  readonly openRoutes: ReadonlySet<string>;
  /** Runs in progress allowed per key; 0 for no limit. */
  readonly keyMaxConcurrent: number;
  /** Runs per minute allowed per key; 0 for no limit. */
  readonly keyRunsPerMinute: number;
  /** Log line format. */
  readonly logFormat: LogFormat;
  /** Least severe level logged. */
  readonly logLevel: LogLevel;
  /** What start-up should warn about: unknown FAAS_ variables, values adjusted. */
  readonly notices: readonly string[];
  /** The variables the environment set (not empty), for telling settings from defaults. */
  readonly fromEnv: ReadonlySet<string>;
}

/** Thrown when the environment holds an invalid value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function readKeys(list: string | undefined, file: string | undefined): string[] {
  try {
    return loadKeys(list, file);
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration: FAAS_API_KEYS_FILE "${file}" cannot be read: ${
        (err as Error).message
      }`,
    );
  }
}

/** The default keeps snapshots beside the npm packages they are made from. */
const DEFAULT_SNAPSHOT_DIR = new URL("../node_modules/.cache/faas", import.meta.url).pathname;

function snapshotDir(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return DEFAULT_SNAPSHOT_DIR;
  return value.toLowerCase() === "off" ? undefined : value;
}

/** Whether `host` is a loopback address (or name), reachable from this machine only. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Reads and validates the configuration from `env`; defaults left unset
 * are sized to `limits` (read from the cgroup under FAAS_CGROUP_DIR,
 * /sys/fs/cgroup by default).
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  limits?: ContainerLimits,
): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((i) =>
      i.code === "custom" ? i.message : `${i.path.join(".")}: ${i.message}`
    );
    throw new ConfigError(`Invalid configuration: ${messages.join("; ")}`);
  }
  const v = parsed.data;
  const notices: string[] = [];
  const known = new Set(Object.keys(schema.shape));
  const unknown = Object.keys(env).filter((k) => k.startsWith("FAAS_") && !known.has(k)).sort();
  if (unknown.length) {
    notices.push(`Unknown configuration variables ignored (typos?): ${unknown.join(", ")}`);
  }
  // FAAS_WORKER_COUNT is the older name of the warm pool size.
  if (!env.FAAS_POOL_SIZE?.trim() && v.FAAS_WORKER_COUNT > 0) {
    v.FAAS_POOL_SIZE = Math.max(2, v.FAAS_WORKER_COUNT);
    v.FAAS_MAX_INSTANCES = Math.max(v.FAAS_MAX_INSTANCES, v.FAAS_POOL_SIZE);
  }
  const sizing = sizeForContainer(
    limits ?? readContainerLimits(v.FAAS_CGROUP_DIR?.trim() || undefined),
    v,
    (name) =>
      Boolean(env[name]?.trim()) ||
      (name === "FAAS_POOL_SIZE" && v.FAAS_WORKER_COUNT > 0),
  );
  Object.assign(v, sizing.chosen);
  if (sizing.chosen.FAAS_POOL_SIZE !== undefined && v.FAAS_MAX_INSTANCES < v.FAAS_POOL_SIZE) {
    // The operator's own FAAS_MAX_INSTANCES bounds the sized pool.
    v.FAAS_POOL_SIZE = Math.max(2, v.FAAS_MAX_INSTANCES);
  }
  if (v.FAAS_METRICS_PORT >= 0 && v.FAAS_METRICS_PORT === v.FAAS_PORT && v.FAAS_PORT !== 0) {
    throw new ConfigError(
      `Invalid configuration: FAAS_METRICS_PORT (${v.FAAS_METRICS_PORT}) must differ from FAAS_PORT`,
    );
  }
  if (v.FAAS_MAX_INSTANCES < v.FAAS_POOL_SIZE && !env.FAAS_MAX_INSTANCES?.trim()) {
    notices.push(
      `FAAS_MAX_INSTANCES raised from its default ${v.FAAS_MAX_INSTANCES} to FAAS_POOL_SIZE (${v.FAAS_POOL_SIZE})`,
    );
    v.FAAS_MAX_INSTANCES = v.FAAS_POOL_SIZE;
  }
  if (v.FAAS_MAX_INSTANCES < v.FAAS_POOL_SIZE) {
    throw new ConfigError(
      `Invalid configuration: FAAS_MAX_INSTANCES (${v.FAAS_MAX_INSTANCES}) must be at least FAAS_POOL_SIZE (${v.FAAS_POOL_SIZE})`,
    );
  }
  if (v.FAAS_TIMEOUT > v.FAAS_MAX_TIMEOUT) {
    throw new ConfigError(
      `Invalid configuration: FAAS_TIMEOUT (${v.FAAS_TIMEOUT}) must not exceed FAAS_MAX_TIMEOUT (${v.FAAS_MAX_TIMEOUT})`,
    );
  }
  const apiKeys = readKeys(v.FAAS_API_KEYS, v.FAAS_API_KEYS_FILE);
  const adminKeys = readKeys(v.FAAS_ADMIN_KEYS, undefined);
  const shared = adminKeys.filter((k) => apiKeys.includes(k));
  if (shared.length) {
    throw new ConfigError(
      "Invalid configuration: a key is in both FAAS_API_KEYS and FAAS_ADMIN_KEYS; " +
        "give admins keys of their own",
    );
  }
  // FAAS_TRUSTED_TENANT_HEADER=true is short for header:X-Tenant-Id.
  const shorthand: TenantSource | undefined = v.FAAS_TRUSTED_TENANT_HEADER
    ? { from: "header", name: "X-Tenant-Id" }
    : undefined;
  if (
    shorthand && v.FAAS_TENANT_FROM &&
    JSON.stringify(v.FAAS_TENANT_FROM) !== JSON.stringify(shorthand)
  ) {
    throw new ConfigError(
      "Invalid configuration: FAAS_TRUSTED_TENANT_HEADER=true and FAAS_TENANT_FROM name " +
        "different tenant sources; set only FAAS_TENANT_FROM",
    );
  }
  const tenantSource: TenantSource = v.FAAS_TENANT_FROM ?? shorthand ?? { from: "asserted" };
  if (!apiKeys.length && !adminKeys.length && !isLoopback(v.FAAS_HOST)) {
    notices.push(
      `Listening on ${v.FAAS_HOST} beyond loopback WITHOUT API KEYS: anyone who can reach this ` +
        "port can run code here; set FAAS_API_KEYS, or FAAS_HOST=127.0.0.1 when only local " +
        "callers need it",
    );
  }
  if (!apiKeys.length && !adminKeys.length && tenantSource.from === "asserted") {
    notices.push(
      "Tenants are self-asserted: without FAAS_API_KEYS or FAAS_TENANT_FROM any caller can " +
        "name any tenant and share its instances and jobs",
    );
  }
  return Object.freeze({
    otlpTracesUrl: v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      (v.OTEL_EXPORTER_OTLP_ENDPOINT &&
        `${v.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`),
    serviceName: v.OTEL_SERVICE_NAME?.trim() || "faas-sandbox",
    jobStore: v.FAAS_JOB_STORE?.trim() || "data/jobs.sqlite",
    jobTtlMs: v.FAAS_JOB_TTL,
    jobMaxAttempts: v.FAAS_JOB_MAX_ATTEMPTS,
    jobMaxResultBytes: v.FAAS_JOB_MAX_RESULT_BYTES,
    jobMaxOwnerBytes: v.FAAS_JOB_MAX_OWNER_BYTES,
    maxBatch: v.FAAS_MAX_BATCH,
    sessionTtlMs: Math.min(v.FAAS_SESSION_TTL_S, v.FAAS_SESSION_MAX_TTL_S) * 1000,
    sessionMaxTtlMs: v.FAAS_SESSION_MAX_TTL_S * 1000,
    maxSessionsPerKey: v.FAAS_MAX_SESSIONS_PER_KEY,
    maxSessions: v.FAAS_MAX_SESSIONS,
    replicaHeartbeatMs: v.FAAS_REPLICA_HEARTBEAT_S * 1000,
    sessionMaxFileBytes: v.FAAS_SESSION_MAX_FILE_BYTES,
    sessionMaxFilesBytes: v.FAAS_SESSION_MAX_FILES_BYTES,
    port: v.FAAS_PORT,
    metricsPort: v.FAAS_METRICS_PORT >= 0 ? v.FAAS_METRICS_PORT : undefined,
    host: v.FAAS_HOST,
    poolSize: v.FAAS_POOL_SIZE,
    maxInstances: v.FAAS_MAX_INSTANCES,
    isolation: v.FAAS_ISOLATION,
    tenantSource: Object.freeze(tenantSource),
    warmMemoryMb: v.FAAS_WARM_MEMORY_MB,
    cores: Math.min(navigator.hardwareConcurrency || 1, sizing.cores ?? Infinity),
    containerSizing: sizing.summary,
    sparesPerHost: v.FAAS_SPARES_PER_HOST,
    defaultTimeoutMs: v.FAAS_TIMEOUT,
    maxTimeoutMs: v.FAAS_MAX_TIMEOUT,
    maxQueue: v.FAAS_MAX_QUEUE,
    maxQueueWaitMs: v.FAAS_MAX_QUEUE_WAIT,
    agingMs: v.FAAS_AGING_MS,
    maxRuns: v.FAAS_MAX_RUNS,
    idleTimeoutMs: v.FAAS_IDLE_TIMEOUT,
    maxOutputBytes: v.FAAS_MAX_OUTPUT_BYTES,
    maxBodyBytes: v.FAAS_MAX_BODY_BYTES,
    memoryLimitMb: v.FAAS_MEMORY_LIMIT_MB,
    killGraceMs: v.FAAS_KILL_GRACE_MS,
    demoteAfterMs: v.FAAS_DEMOTE_AFTER_MS,
    shutdownGraceMs: v.FAAS_SHUTDOWN_GRACE_MS,
    pyodideDir: v.FAAS_PYODIDE_DIR?.trim() || undefined,
    pythonPackagesDir: v.FAAS_PYTHON_PACKAGES_DIR?.trim() || undefined,
    pythonPackages: Object.freeze(v.FAAS_PYTHON_PACKAGES),
    pythonPreload: Object.freeze(v.FAAS_PYTHON_PRELOAD),
    snapshotDir: snapshotDir(v.FAAS_SNAPSHOT_DIR),
    apiKeys: Object.freeze(apiKeys),
    adminKeys: Object.freeze(adminKeys),
    auditRuns: v.FAAS_AUDIT_RUNS,
    openRoutes: new Set(
      (v.FAAS_OPEN_ROUTES ??
        "/,/health/live,/health,/metrics,/openapi.json,/docs,/runtimes,/console").split(
          ",",
        ).map((
          r,
        ) => r.trim())
        .filter(Boolean),
    ),
    keyMaxConcurrent: v.FAAS_KEY_MAX_CONCURRENT,
    keyRunsPerMinute: v.FAAS_KEY_RUNS_PER_MINUTE,
    logFormat: v.FAAS_LOG_FORMAT,
    logLevel: v.FAAS_LOG_LEVEL,
    notices: Object.freeze(notices),
    fromEnv: new Set(Object.keys(schema.shape).filter((name) => env[name]?.trim())),
  });
}
