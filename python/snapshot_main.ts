/**
 * `deno task snapshot`: makes the Python memory snapshot and stores it in
 * the snapshot cache (FAAS_SNAPSHOT_DIR), so the next service start skips
 * making it. Run it where the cache is writable, e.g. while building an
 * image whose file system is read-only at run time. Exits 1 when the
 * snapshot cannot be made or stored.
 */
import { type Config, ConfigError, loadConfig } from "../config/config.ts";
import { preparePythonPackages, type PythonPackages } from "./python_packages.ts";
import { preparePythonSnapshot } from "./python_snapshot.ts";
import { resolvePyodideDir } from "../protocol/pyodide_files.ts";

function fail(message: string): never {
  console.error(message);
  Deno.exit(1);
}

let config: Config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
const cacheDir = config.snapshotDir;
if (!cacheDir) fail("FAAS_SNAPSHOT_DIR is off: there is no snapshot cache to fill");
const pyodideDir = resolvePyodideDir(config.pyodideDir);
// The snapshot holds the configured packages, as the service's would.
const packages: PythonPackages | Error = await preparePythonPackages({
  dir: config.pythonPackagesDir,
  names: config.pythonPackages,
  preload: config.pythonPreload,
  pyodideDir,
}).catch((err: Error) => err);
if (packages instanceof Error) fail(packages.message);

const workDir = await Deno.makeTempDir({ prefix: "faas-snapshot-" });
const made = await preparePythonSnapshot({
  pyodideDir,
  cacheDir,
  workDir,
  memoryLimitBytes: config.memoryLimitMb * 2 ** 20,
  packages,
}).catch((err: Error) => err);
await Deno.remove(workDir, { recursive: true });
if (made instanceof Error) fail(`Could not make the Python snapshot: ${made.message}`);
if (made.storeError) fail(`Could not store the snapshot in ${cacheDir}: ${made.storeError}`);
console.log(`${made.cached ? "Snapshot already cached" : "Snapshot made"}: ${made.cachePath}`);
