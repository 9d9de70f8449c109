/**
 * The service's settings as the admin API shows them: each configuration
 * value under a dotted key, in a group, with the environment variable it
 * comes from. Secrets never leave: API keys and admin keys show as "***",
 * and so does the password of a URL. Most settings are read once at
 * start-up; the few that may change while the service runs are described
 * in `runtime_settings.ts`.
 */
import type { Config } from "../config/config.ts";

/** How settings are grouped. */
export const SETTING_GROUPS = [
  "general",
  "runs",
  "isolation",
  "jobs",
  "security",
  "retention",
] as const;

/** One group of settings. */
export type SettingGroup = typeof SETTING_GROUPS[number];

/** A setting read from the configuration. */
export interface SettingSpec {
  key: string;
  group: SettingGroup;
  /** The variables it comes from: it is from the environment when any of them is set. */
  env: readonly string[];
  /** Its value as shown: secrets masked. */
  value(config: Config): unknown;
}

/** What a secret shows as. */
export const MASK = "***";

/** A URL with its password (or a user with no password) masked. */
export function maskUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_, scheme: string, user: string) => {
    const colon = user.indexOf(":");
    return `${scheme}${colon === -1 ? MASK : `${user.slice(0, colon)}:${MASK}`}@`;
  });
}

const spec = (
  group: SettingGroup,
  key: string,
  env: string | readonly string[],
  value: (config: Config) => unknown,
): SettingSpec => ({ key, group, env: typeof env === "string" ? [env] : env, value });

/** The settings read at start-up only, in the order they are shown. */
export const STARTUP_SETTINGS: readonly SettingSpec[] = [
  spec("general", "general.host", "FAAS_HOST", (c) => c.host),
  spec("general", "general.port", "FAAS_PORT", (c) => c.port),
  spec("general", "general.metrics_port", "FAAS_METRICS_PORT", (c) => c.metricsPort ?? null),
  spec("general", "general.shutdown_grace_ms", "FAAS_SHUTDOWN_GRACE_MS", (c) => c.shutdownGraceMs),
  spec("general", "general.log_level", "FAAS_LOG_LEVEL", (c) => c.logLevel),
  spec("general", "general.log_format", "FAAS_LOG_FORMAT", (c) => c.logFormat),
  spec(
    "general",
    "general.otlp_traces_url",
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"],
    (c) => maskUrl(c.otlpTracesUrl),
  ),
  spec("general", "general.service_name", "OTEL_SERVICE_NAME", (c) => c.serviceName),
  spec("runs", "runs.timeout_ms", "FAAS_TIMEOUT", (c) => c.defaultTimeoutMs),
  spec("runs", "runs.max_timeout_ms", "FAAS_MAX_TIMEOUT", (c) => c.maxTimeoutMs),
  spec("runs", "runs.memory_limit_mb", "FAAS_MEMORY_LIMIT_MB", (c) => c.memoryLimitMb),
  spec("runs", "runs.kill_grace_ms", "FAAS_KILL_GRACE_MS", (c) => c.killGraceMs),
  spec("runs", "runs.max_output_bytes", "FAAS_MAX_OUTPUT_BYTES", (c) => c.maxOutputBytes),
  spec("runs", "runs.max_body_bytes", "FAAS_MAX_BODY_BYTES", (c) => c.maxBodyBytes),
  spec("runs", "runs.max_queue", "FAAS_MAX_QUEUE", (c) => c.maxQueue),
  spec("runs", "runs.max_queue_wait_ms", "FAAS_MAX_QUEUE_WAIT", (c) => c.maxQueueWaitMs),
  spec("runs", "runs.aging_ms", "FAAS_AGING_MS", (c) => c.agingMs),
  spec("isolation", "isolation.mode", "FAAS_ISOLATION", (c) => c.isolation),
  spec(
    "isolation",
    "isolation.pool_size",
    ["FAAS_POOL_SIZE", "FAAS_WORKER_COUNT"],
    (c) => c.poolSize,
  ),
  spec("isolation", "isolation.max_instances", "FAAS_MAX_INSTANCES", (c) => c.maxInstances),
  spec("isolation", "isolation.warm_memory_mb", "FAAS_WARM_MEMORY_MB", (c) => c.warmMemoryMb),
  spec("isolation", "isolation.spares_per_host", "FAAS_SPARES_PER_HOST", (c) => c.sparesPerHost),
  spec("isolation", "isolation.max_runs", "FAAS_MAX_RUNS", (c) => c.maxRuns),
  spec("isolation", "isolation.idle_timeout_ms", "FAAS_IDLE_TIMEOUT", (c) => c.idleTimeoutMs),
  spec("jobs", "jobs.store", "FAAS_JOB_STORE", (c) => maskUrl(c.jobStore)),
  spec("jobs", "jobs.ttl_ms", "FAAS_JOB_TTL", (c) => c.jobTtlMs),
  spec("jobs", "jobs.max_attempts", "FAAS_JOB_MAX_ATTEMPTS", (c) => c.jobMaxAttempts),
  spec("jobs", "jobs.max_result_bytes", "FAAS_JOB_MAX_RESULT_BYTES", (c) => c.jobMaxResultBytes),
  spec("jobs", "jobs.max_owner_bytes", "FAAS_JOB_MAX_OWNER_BYTES", (c) => c.jobMaxOwnerBytes),
  spec("jobs", "jobs.max_batch", "FAAS_MAX_BATCH", (c) => c.maxBatch),
  spec(
    "security",
    "keys.api_keys",
    ["FAAS_API_KEYS", "FAAS_API_KEYS_FILE"],
    (c) => c.apiKeys.length ? MASK : null,
  ),
  spec("security", "keys.admin_keys", "FAAS_ADMIN_KEYS", (c) => c.adminKeys.length ? MASK : null),
  spec("security", "keys.open_routes", "FAAS_OPEN_ROUTES", (c) => [...c.openRoutes]),
  spec("security", "security.audit_runs", "FAAS_AUDIT_RUNS", (c) => c.auditRuns),
  spec(
    "security",
    "security.tenant_source",
    ["FAAS_TENANT_FROM", "FAAS_TRUSTED_TENANT_HEADER"],
    (c) => {
      const s = c.tenantSource;
      return s.from === "asserted"
        ? "asserted"
        : s.from === "header"
        ? `header:${s.name}`
        : `body:${s.path.join(".")}`;
    },
  ),
];
