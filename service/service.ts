/**
 * Wires the service together: socket hub, pools, scheduler, metrics and the
 * HTTP app. `main.ts` serves it; tests build one per suite.
 */
import type { Hono } from "hono";
import type { Config } from "../config/config.ts";
import { Metrics } from "../metrics/metrics.ts";
import { createApp } from "../routes/app.ts";
import { hostSettings } from "./host_settings.ts";
import { startPythonSnapshot } from "./snapshot_start.ts";
import { PHASES } from "../routes/server_timing.ts";
import { ApiKeyRing } from "../routes/auth.ts";
import { createTracer } from "../tracing/tracer.ts";
import { openJobStore } from "../jobs/open_store.ts";
import { openAdminStore } from "../admin/open_admin_store.ts";
import { AuditLog } from "../admin/audit_log.ts";
import { openMetering } from "../admin/metering.ts";
import { RuntimeSettings } from "../admin/runtime_settings.ts";
import { Retention } from "../admin/retention.ts";
import { runAuditEntry } from "../admin/run_audit.ts";
import { JobRunner } from "../jobs/runner.ts";
import { scheduledResponse } from "../routes/run_response.ts";
import type { HealthSources } from "../routes/health.ts";
import { createOpsApp } from "../routes/ops_app.ts";
import { describeRuntimes } from "../routes/runtimes.ts";
import type { AppEnv } from "../routes/app_env.ts";
import { Logger } from "../core/log.ts";
import { KeyUsage } from "../scheduler/key_usage.ts";
import { Scheduler } from "../scheduler/scheduler.ts";
import { enforceBudget, hostRssBytes } from "../sandbox/memory_budget.ts";
import { type InstanceCounts, Pool, type PoolCounts } from "../sandbox/pool.ts";
import { type Runtime, runtimeOf } from "../protocol/host_messages.ts";
import { Timeline } from "../metrics/timeline.ts";
import { SocketHub } from "../sandbox/socket_hub.ts";
import type { PythonSnapshot } from "../python/python_snapshot.ts";
import type { PythonPackages } from "../python/python_packages.ts";
import { VERSION } from "./version.ts";
import { SessionRegistry } from "../sessions/registry.ts";
import { openSessionDirectory } from "../sessions/open_session_directory.ts";

/** A built service. */
export interface Service {
  app: Hono<AppEnv>;
  /** Only /metrics and health, for `FAAS_METRICS_PORT`. */
  opsApp: Hono;
  logger: Logger;
  scheduler: Scheduler;
  pools: Record<Runtime, Pool>;
  metrics: Metrics;
  /** Path of the hosts' socket; every host's command line contains it. */
  hubPath: string;
  /** The snapshot Python hosts start from; rejects when there is none. */
  pythonSnapshot: Promise<PythonSnapshot>;
  /** Resolves once every runtime has a warm instance. */
  ready(): Promise<void>;
  /** This replica's id among those sharing Redis; undefined without Redis. */
  replica: string | undefined;
  /** The accepted API keys; replace them to reload (SIGHUP). */
  apiKeys: ApiKeyRing;
  /** Drains runs for up to `graceMs`, then stops every host. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * How the host processes split: Python gets the larger half, since its
 * runs are the slower ones.
 */
export function splitPool(size: number): Record<Runtime, number> {
  const python = Math.ceil(size / 2);
  return { python, javascript: size - python };
}

/** No Python packages beyond the standard library. */
export const NO_PACKAGES: PythonPackages = {
  installed: [],
  preload: [],
  nativePreload: [],
  fingerprint: "",
};

/**
 * Builds and starts a service from its configuration and the Python
 * packages prepared for it ({@linkcode preparePythonPackages}).
 */
export function createService(
  config: Config,
  logger = new Logger(config.logLevel, config.logFormat),
  packages: PythonPackages = NO_PACKAGES,
): Service {
  const hub = SocketHub.open();
  const settings = hostSettings(config, hub, packages);
  const runtimes = describeRuntimes({
    pyodideDir: settings.pyodideDir,
    packages: packages.installed,
    preload: [...packages.preload, ...packages.nativePreload],
  });
  const metrics = new Metrics({
    maxTimeoutMs: config.maxTimeoutMs,
    build: {
      version: VERSION,
      deno: Deno.version.deno,
      pyodide: runtimes[0].engine.pyodide ?? "unknown",
      python: runtimes[0].version,
    },
  });
  const warm = splitPool(config.poolSize);
  let readyWaiters: (() => void)[] = [];
  const hooks = {
    onIdle: (runtime: Runtime) => {
      // Hooks fire only after start(), once `scheduler` below exists.
      scheduler.instanceIdle(runtime);
      if (scheduler.started) readyWaiters.splice(0).forEach((wake) => wake());
    },
    onStart: (runtime: Runtime, reason: string) =>
      metrics.instanceStarts.inc({ language: runtime, reason }),
    onStartFailed: (runtime: Runtime) => scheduler.startFailed(runtime),
    onDrop: (runtime: Runtime, reason: string) =>
      metrics.instanceDrops.inc({ language: runtime, reason }),
    onDemoted: (runtime: Runtime) => metrics.runsDemoted.inc({ language: runtime }),
    onInstanceReady: (runtime: Runtime, ms: number, bound: boolean) =>
      metrics.instanceStartDuration.observe(
        { language: runtime, kind: bound ? "bound" : "spare" },
        ms / 1000,
      ),
    onExit: (host: { runtime: Runtime; id: string; stderrTail: string }, reason: string) => {
      metrics.instanceExits.inc({ language: host.runtime, reason });
      if (reason === "crashed" || reason === "failed_start") {
        const tail = host.stderrTail.trim().split("\n").slice(-3).join(" | ");
        logger.warn("host ended", { host: host.id, reason, stderr: tail || undefined });
      }
    },
  };
  const poolOptions = (warmHosts: number) => ({
    warmHosts,
    maxRuns: config.maxRuns,
    sparesPerHost: config.sparesPerHost,
    // Spares beyond the configured number only while the hosts use under
    // three quarters of the warm-memory budget.
    roomForSpare: () =>
      Object.values(pools).flatMap((p) => p.hosts()).reduce((a, h) => a + hostRssBytes(h), 0) <
        config.warmMemoryMb * 2 ** 20 * 0.75,
  });
  const pools: Record<Runtime, Pool> = {
    python: new Pool("python", poolOptions(warm.python), settings, hooks),
    javascript: new Pool("javascript", poolOptions(warm.javascript), settings, hooks),
  };
  const budgetTimer = setInterval(
    () => enforceBudget(Object.values(pools), config.warmMemoryMb * 2 ** 20),
    1000,
  );
  // Its sources are read from the first sample on, once everything exists.
  const timeline = new Timeline({
    queued: () => scheduler.queuedByPriority(),
    instances: () => {
      const states = (runtime: Runtime) => {
        const i = instanceCounts()[runtime];
        const busy = poolCounts()[runtime].busy;
        return { warm: Math.max(0, i.keyed - busy), spare: i.spare, starting: i.starting, busy };
      };
      return { python: states("python"), javascript: states("javascript") };
    },
    memory: () => ({
      usedBytes: Object.values(pools).flatMap((p) => p.hosts())
        .reduce((a, h) => a + hostRssBytes(h), 0),
      budgetBytes: config.warmMemoryMb * 2 ** 20,
    }),
  });
  timeline.start();
  // Usage and quotas where the jobs are. A slot of a run in progress a dead
  // replica left behind is dropped once no run could still be in progress.
  const metering = openMetering(
    config.jobStore,
    logger,
    config.maxQueueWaitMs + config.maxTimeoutMs + 60_000,
  );
  const scheduler = new Scheduler(pools, {
    maxQueue: config.maxQueue,
    maxQueueWaitMs: config.maxQueueWaitMs,
    agingMs: config.agingMs,
    maxHosts: config.maxInstances,
    maxOutputBytes: config.maxOutputBytes,
    idleTimeoutMs: config.idleTimeoutMs,
    cores: config.cores,
  }, {
    onDispatched: (priority, waitMs) => metrics.queueWait.observe({ priority }, waitMs / 1000),
    onFinished: (language, result, phases, run, via) => {
      metering.meter.record(run.request.account, result);
      // Every route's runs end here: the one place they are audited (metadata only).
      if (config.auditRuns) audit.later(runAuditEntry(run.taskId, run.request, result));
      timeline.record({
        runtime: runtimeOf(language),
        language,
        status: result.status,
        totalMs: phases.queueMs + phases.startMs + phases.runMs,
        startMs: phases.startMs,
        cold: via !== "warm",
        message: result.exception
          ? `${result.exception.type}: ${result.exception.message}`.slice(0, 300)
          : result.error,
        instance: result.instanceId,
      });
      metrics.runs.inc({ language, status: result.status });
      metrics.runDuration.observe({ language }, result.durationMs / 1000);
      if (typeof result.cpuMs === "number") {
        metrics.runCpu.observe({ language }, result.cpuMs / 1000);
      }
      if (typeof result.memoryBytes === "number") {
        metrics.runMemory.observe({ language }, result.memoryBytes);
      }
    },
    onRejected: (reason) => metrics.rejections.inc({ reason }),
  });
  const poolCounts = (): Record<Runtime, PoolCounts> => ({
    python: pools.python.counts(),
    javascript: pools.javascript.counts(),
  });
  const instanceCounts = (): Record<Runtime, InstanceCounts> => ({
    python: pools.python.instanceCounts(),
    javascript: pools.javascript.instanceCounts(),
  });
  metrics.setSources({
    queuedByPriority: () => scheduler.queuedByPriority(),
    poolCounts,
    instanceCounts,
    hostStats: () => ({
      python: pools.python.hosts(),
      javascript: pools.javascript.hosts(),
    }),
    // Read at scrape time only, once the store below exists.
    jobCounts: () => jobStore.activeCounts(),
    sessionCounts: () => sessions.counts(),
    sessionHostCounts: () => ({
      python: pools.python.sessionHosts(),
      javascript: pools.javascript.sessionHosts(),
    }),
  });
  const startedAt = Date.now();
  const health: HealthSources = {
    version: VERSION,
    startedAt,
    accepting: () => scheduler.accepting,
    started: () => scheduler.started,
    pools: () => {
      const all = poolCounts();
      const instances = instanceCounts();
      const health = (runtime: Runtime) => ({
        ...all[runtime],
        instances: instances[runtime],
        warm: pools[runtime].warm,
        startFailures: pools[runtime].startFailures,
        lastStartError: pools[runtime].lastStartError,
        failure: pools[runtime].failure(),
      });
      return { python: health("python"), javascript: health("javascript") };
    },
    scheduler: () => scheduler.stats(),
  };
  const tracer = createTracer({
    tracesUrl: config.otlpTracesUrl,
    serviceName: config.serviceName,
    serviceVersion: VERSION,
  });
  function appPoolCounts(): PoolCounts {
    const all = poolCounts();
    const sum = (k: keyof PoolCounts) => all.python[k] + all.javascript[k];
    return { total: sum("total"), idle: sum("idle"), busy: sum("busy"), starting: sum("starting") };
  }
  // Per-key limits apply only with API keys: without them there is no key.
  const keyed = config.apiKeys.length + config.adminKeys.length > 0;
  const keyUsage = new KeyUsage({
    maxConcurrent: keyed ? config.keyMaxConcurrent : 0,
    runsPerMinute: keyed ? config.keyRunsPerMinute : 0,
  });
  const jobStore = openJobStore(config.jobStore);
  const adminStore = openAdminStore(config.jobStore);
  const audit = new AuditLog(adminStore, logger);
  const runtimeSettings = new RuntimeSettings(adminStore, config);
  // Per-key limits changed while running apply from the next run on.
  runtimeSettings.onChange(() => {
    if (keyed) keyUsage.setLimits(runtimeSettings.keyLimits);
  });
  const retention = new Retention(
    jobStore,
    adminStore,
    runtimeSettings,
    audit,
    logger,
    metering.store,
  );
  // The clean-up goes by the kept settings, so it starts once they are read.
  runtimeSettings.refresh().catch((err) =>
    logger.warn("settings changed while running could not be read", { reason: String(err) })
  ).then(() => retention.start());
  runtimeSettings.start();
  const jobRunner = new JobRunner(jobStore, scheduler, {
    concurrency: config.maxInstances * 2,
    keyUsage,
    maxAttempts: config.jobMaxAttempts,
    ttlMs: config.jobTtlMs,
    // At least a second, as FAAS_JOB_TTL: a result is never gone before it can be read.
    currentTtlMs: () => Math.max(1000, runtimeSettings.retention.jobsDays * 86_400_000),
    resultLimits: {
      maxResultBytes: config.jobMaxResultBytes,
      maxOwnerBytes: config.jobMaxOwnerBytes,
    },
    respond: (run, scheduled) => scheduledResponse(run, scheduled, appPoolCounts()),
    trackRun: (request) =>
      request.account ? metering.gate.track(request.account.tenant) : Promise.resolve(() => {}),
  });
  const apiKeys = new ApiKeyRing(config.apiKeys);
  // Where sessions live, for replicas sharing Redis. Its writes never hold up
  // a call: a record missed costs another replica a 404 instead of a 409.
  const directory = openSessionDirectory(config.jobStore, config.replicaHeartbeatMs);
  const directoryFailed = (err: unknown) =>
    logger.warn("session directory not updated", { reason: String(err) });
  const sessions = new SessionRegistry(scheduler, {
    defaultTtlMs: config.sessionTtlMs,
    maxTtlMs: config.sessionMaxTtlMs,
    maxPerOwner: config.maxSessionsPerKey,
    maxTotal: config.maxSessions,
    // Each session has a host process of its own; the last quarter is left
    // to the shared hosts (whose idle instances go first under pressure).
    maxMemoryBytes: config.warmMemoryMb * 2 ** 20 * 0.75,
    maxFileBytes: config.sessionMaxFileBytes,
    maxFilesBytes: config.sessionMaxFilesBytes,
  }, {
    onCreated: (language, session) => {
      metrics.sessionEvents.inc({ language, event: "created" });
      directory.record(session).catch(directoryFailed);
    },
    onUsed: (session) => directory.record(session).catch(directoryFailed),
    onEnded: (language, how, session) => {
      metrics.sessionEvents.inc({ language, event: how });
      // A shutdown keeps the record: other replicas then answer that its replica is gone (410).
      if (how !== "shutdown") directory.forget(session.id).catch(directoryFailed);
    },
  });
  const app = createApp({
    sessions,
    sessionDirectory: directory,
    adminKeys: new ApiKeyRing(config.adminKeys),
    adminStore,
    audit,
    timeline,
    metering,
    quotas: metering.gate,
    settings: runtimeSettings,
    retention,
    logger,
    tracer,
    jobs: {
      store: jobStore,
      runner: jobRunner,
      maxBatch: config.maxBatch,
      maxAttempts: config.jobMaxAttempts,
      maxOwnerBytes: config.jobMaxOwnerBytes,
      defaultTimeoutMs: config.defaultTimeoutMs,
      maxTimeoutMs: config.maxTimeoutMs,
      isolation: config.isolation,
      tenantSource: config.tenantSource,
    },
    runtimes,
    apiKeys,
    openRoutes: config.openRoutes,
    keyUsage,
    scheduler,
    metrics,
    maxBodyBytes: config.maxBodyBytes,
    memoryLimitBytes: config.memoryLimitMb * 2 ** 20,
    maxOutputBytes: config.maxOutputBytes,
    maxQueue: config.maxQueue,
    defaultTimeoutMs: config.defaultTimeoutMs,
    maxTimeoutMs: config.maxTimeoutMs,
    isolation: config.isolation,
    tenantSource: config.tenantSource,
    poolCounts: appPoolCounts,
    onAnswered: (language, phases) => {
      for (const [phase, field] of PHASES) {
        metrics.runPhases.observe({ language, phase }, phases[field] / 1000);
      }
    },
    health,
  });
  const opsApp = createOpsApp(metrics, health);

  pools.javascript.start();
  const snapshot = startPythonSnapshot(config, settings, hub.dir, packages, logger, () => {
    if (scheduler.accepting) pools.python.start();
  });
  return {
    app,
    opsApp,
    apiKeys,
    logger,
    scheduler,
    pools,
    metrics,
    hubPath: hub.path,
    replica: directory.replica,
    pythonSnapshot: snapshot,
    ready: () =>
      scheduler.started ? Promise.resolve() : new Promise((resolve) => readyWaiters.push(resolve)),
    async shutdown(graceMs: number) {
      clearInterval(budgetTimer);
      timeline.stop();
      jobRunner.close();
      sessions.close();
      await directory.close();
      runtimeSettings.close();
      await retention.close();
      await scheduler.drain(graceMs);
      await jobRunner.settled();
      await jobStore.close();
      await metering.close();
      await audit.flush();
      await adminStore.close();
      hub.close();
      readyWaiters = [];
      // Spans still buffered go out before the process ends.
      await tracer.shutdown().catch(() => {});
    },
  };
}
