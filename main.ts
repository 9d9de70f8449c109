/**
 * Entry point: reads the configuration, starts the pools and serves HTTP.
 * SIGTERM/SIGINT drain in-flight runs, stop the hosts and exit 0.
 */
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createService } from "./service.ts";
import {
  PackageError,
  preparePythonPackages,
  type PythonPackages,
} from "./sandbox/python_packages.ts";
import { resolvePyodideDir } from "./sandbox/pyodide_files.ts";

let config: Config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  Deno.exit(1);
}

let packages: PythonPackages;
try {
  packages = await preparePythonPackages({
    dir: config.pythonPackagesDir,
    names: config.pythonPackages,
    preload: config.pythonPreload,
    pyodideDir: resolvePyodideDir(config.pyodideDir),
  });
} catch (err) {
  if (!(err instanceof PackageError)) throw err;
  console.error(err.message);
  Deno.exit(1);
}

const service = createService(config, undefined, packages);
const log = service.logger;
// A preloaded module that cannot be imported is found while making the
// snapshot; serving without it would fail the runs that need it.
service.pythonSnapshot.catch((err) => {
  if (!(err instanceof PackageError)) return;
  log.error("start-up failed", { reason: err.message });
  Deno.exit(1);
});
const server = Deno.serve({
  hostname: config.host,
  port: config.port,
  onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}` }),
}, service.app.fetch);

const opsServer = config.metricsPort === undefined ? undefined : Deno.serve({
  hostname: config.host,
  port: config.metricsPort,
  onListen: ({ hostname, port }) =>
    log.info("metrics and health listening", { url: `http://${hostname}:${port}` }),
}, service.opsApp.fetch);

service.ready().then(() => log.info("ready: every runtime has a warm instance"));

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info(`${signal} received; draining`, { grace_ms: config.shutdownGraceMs });
  await service.shutdown(config.shutdownGraceMs);
  await Promise.all([server.shutdown(), opsServer?.shutdown()]);
  log.info("stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
