/** What every host process of this service starts with. */
import type { Config } from "../config/config.ts";
import type { HostSettings } from "../sandbox/host.ts";
import type { SocketHub } from "../sandbox/socket_hub.ts";
import type { PythonPackages } from "../python/python_packages.ts";
import { resolvePyodideDir } from "../protocol/pyodide_files.ts";

/**
 * The hosts' settings: limits, Pyodide's files, and the installed packages'
 * zips, written into the service's private directory for hosts to read.
 */
export function hostSettings(
  config: Config,
  hub: SocketHub,
  packages: PythonPackages,
): HostSettings {
  const settings: HostSettings = {
    hub,
    memoryLimitMb: config.memoryLimitMb,
    killGraceMs: config.killGraceMs,
    demoteAfterMs: config.demoteAfterMs,
    startTimeoutMs: 60_000,
    pyodideDir: resolvePyodideDir(config.pyodideDir),
    configPath: new URL("../deno.json", import.meta.url).pathname,
  };
  if (packages.zip) {
    settings.pythonPackagesZip = `${hub.dir}/python-packages.zip`;
    Deno.writeFileSync(settings.pythonPackagesZip, packages.zip, { mode: 0o600 });
  }
  if (packages.native) {
    settings.pythonNativeZip = `${hub.dir}/python-native.zip`;
    Deno.writeFileSync(settings.pythonNativeZip, packages.native, { mode: 0o600 });
  }
  return settings;
}
