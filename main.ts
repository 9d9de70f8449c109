/**
 * Entry point: reads the configuration, checks what start-up needs (ports,
 * Pyodide's files, Python packages), starts the pools and serves HTTP.
 * Anything wrong at start is one line on stderr and exit code 1.
 * SIGTERM/SIGINT drain in-flight runs, stop the hosts and exit 0.
 */
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createService, type Service } from "./service.ts";
import { watchLauncher } from "./orphan_watch.ts";
import { openJobStore } from "./jobs/open_store.ts";
import {
  PackageError,
  preparePythonPackages,
  type PythonPackages,
} from "./sandbox/python_packages.ts";
import { missingPyodideFiles, resolvePyodideDir } from "./sandbox/pyodide_files.ts";

function fail(message: string): never {
  console.error(message);
  Deno.exit(1);
}

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
log.info("listening", { url: `http://${config.host}:${server.addr.port}` });
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
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
await watchLauncher(() => stop("launcher gone"));
