/**
 * Entry point: reads the configuration, checks what start-up needs (ports,
 * Pyodide's files, Python packages), starts the pools and serves HTTP.
 * Anything wrong at start is one line on stderr and exit code 1.
 * SIGTERM/SIGINT drain in-flight runs, stop the hosts and exit 0. SIGHUP
 * reloads the API keys file and drops no run.
 */
import { type Config, ConfigError, loadConfig } from "./config/config.ts";
import { createService, type Service } from "./service/service.ts";
import { loadKeys } from "./config/config_keys.ts";
import { findLauncher, watchLauncher } from "./service/orphan_watch.ts";
import { openJobStore } from "./jobs/open_store.ts";
import {
  PackageError,
  preparePythonPackages,
  type PythonPackages,
} from "./python/python_packages.ts";
import { missingPyodideFiles, resolvePyodideDir } from "./protocol/pyodide_files.ts";

function fail(message: string): never {
  console.error(message);
  Deno.exit(1);
}

// Who started us through npm, before anything slow: a launcher gone while
// the service starts must not be mistaken for its successor.
const launcher = await findLauncher();

let config: Config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  fail(err.message);
}

const pyodideDir = resolvePyodideDir(config.pyodideDir);
const missing = missingPyodideFiles(pyodideDir);
if (missing.length) {
  fail(
    `FAAS_PYODIDE_DIR ${config.pyodideDir ?? pyodideDir} lacks Pyodide's ${missing.join(", ")}`,
  );
}

let packages: PythonPackages;
try {
  packages = await preparePythonPackages({
    dir: config.pythonPackagesDir,
    names: config.pythonPackages,
    preload: config.pythonPreload,
    pyodideDir,
  });
} catch (err) {
  if (!(err instanceof PackageError)) throw err;
  fail(err.message);
}

// The job store must open (a directory that cannot be written stops start-up).
try {
  await openJobStore(config.jobStore).close();
} catch (err) {
  fail(`FAAS_JOB_STORE ${config.jobStore} cannot be opened: ${(err as Error).message}`);
}

// The ports first: a port in use must stop start-up before any host starts.
// Requests that arrive before the service exists get a 503.
// deno-lint-ignore prefer-const
let service: Service | undefined;
const notReady = () => new Response("Starting", { status: 503 });
function listen(
  variable: string,
  port: number,
  handler: (req: Request) => Response | Promise<Response>,
) {
  try {
    return Deno.serve({ hostname: config.host, port, onListen: () => {} }, handler);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    fail(`${variable}=${port} on FAAS_HOST=${config.host} cannot be used: ${reason}`);
  }
}
const server = listen("FAAS_PORT", config.port, (req) => service?.app.fetch(req) ?? notReady());
const opsServer = config.metricsPort === undefined
  ? undefined
  : listen("FAAS_METRICS_PORT", config.metricsPort, (req) =>
    service?.opsApp.fetch(req) ?? notReady());

service = createService(config, undefined, packages);
const log = service.logger;
for (const notice of config.notices) log.warn(notice);
const tenants = config.tenantSource.from === "asserted"
  ? "self-asserted"
  : config.tenantSource.from === "header"
  ? `header:${config.tenantSource.name}`
  : `body:${config.tenantSource.path.join(".")}`;
log.info("listening", {
  url: `http://${config.host}:${server.addr.port}`,
  api_keys: config.apiKeys.length,
  isolation: config.isolation,
  tenants,
  pool: config.poolSize,
  max_instances: config.maxInstances,
  memory_limit_mb: config.memoryLimitMb,
  warm_memory_mb: config.warmMemoryMb,
  timeout_ms: config.defaultTimeoutMs,
  ...(config.containerSizing && { sized: config.containerSizing }),
});
if (opsServer) {
  log.info("metrics and health listening", {
    url: `http://${config.host}:${opsServer.addr.port}`,
  });
}
// A preloaded module that cannot be imported is found while making the
// snapshot; serving without it would fail the runs that need it.
service.pythonSnapshot.catch((err) => {
  if (!(err instanceof PackageError)) return;
  log.error("start-up failed", { reason: err.message });
  Deno.exit(1);
});
service.ready().then(() => log.info("ready: every runtime has a warm instance"));

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping || !service) return;
  stopping = true;
  log.info(`${signal} received; draining`, { grace_ms: config.shutdownGraceMs });
  await service.shutdown(config.shutdownGraceMs);
  await Promise.all([server.shutdown(), opsServer?.shutdown()]);
  log.info("stopped");
  Deno.exit(0);
}
/**
 * Re-reads FAAS_API_KEYS_FILE (with FAAS_API_KEYS) into the accepted keys.
 * Everything else is read once at start-up (the log level included) and
 * takes a restart; runs in flight are not touched either way.
 */
function reload(): void {
  if (!service) return;
  const file = Deno.env.get("FAAS_API_KEYS_FILE");
  if (!file) {
    log.info(
      "SIGHUP received; nothing to reload (no FAAS_API_KEYS_FILE); other settings take a restart",
    );
    return;
  }
  let keys: string[];
  try {
    keys = loadKeys(Deno.env.get("FAAS_API_KEYS"), file);
  } catch (err) {
    log.error("SIGHUP: API keys not reloaded; the current ones stay", {
      file,
      reason: (err as Error).message,
    });
    return;
  }
  if (keys.length === 0 && service.apiKeys.size > 0) {
    // An emptied file would open the service to everyone.
    log.error("SIGHUP: API keys not reloaded: the file holds none; the current ones stay", {
      file,
    });
    return;
  }
  const before = service.apiKeys.size;
  service.apiKeys.replace(keys);
  log.info("SIGHUP: API keys reloaded; other settings take a restart", {
    file,
    keys: keys.length,
    before,
  });
}
Deno.addSignalListener("SIGHUP", reload);
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
watchLauncher(launcher, () => stop("launcher gone"));
