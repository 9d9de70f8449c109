/**
 * The Pyodide memory snapshot that Python hosts start from: Pyodide loaded,
 * common modules imported and the harness prepared, made once in a worker of
 * the server with the same permissions a Python worker has, or taken from
 * the snapshot cache (sandbox/snapshot_cache.ts). A host restoring it is
 * ready in ~0.3 s instead of ~3 s.
 *
 * Snapshots are a private Pyodide API that only fits the exact build; the
 * version is pinned, and tests/python_snapshot_test.ts checks what we rely
 * on. Any failure here only means hosts load Pyodide the slow way.
 */
import { PYODIDE_FILES } from "../protocol/pyodide_files.ts";
import { PackageError, type PythonPackages } from "./python_packages.ts";
import { findCachedSnapshot, snapshotKey, storeSnapshot } from "./snapshot_cache.ts";
import { CONTROL_BYTES, GATE_BYTES, type InitMessage } from "../protocol/worker_channel.ts";
import { unpackNative } from "../protocol/native_bundle.ts";

/** The snapshot hosts start from, and where it came from. */
export interface PythonSnapshot {
  /**
   * The service's private copy in `workDir`, which hosts read: nothing
   * another process does to the cache can take it away.
   */
  path: string;
  /** True when it was taken from the cache rather than made by this start. */
  cached: boolean;
  /** Where it is kept in the cache, if it is. */
  cachePath?: string;
  /** Why it could not be stored in the cache, if it could not. */
  storeError?: string;
}

/** What {@linkcode preparePythonSnapshot} needs. */
export interface SnapshotOptions {
  pyodideDir: string;
  /** The snapshot cache; undefined to make a snapshot every start. */
  cacheDir?: string;
  /** A private directory for the snapshot when the cache cannot hold it. */
  workDir: string;
  memoryLimitBytes: number;
  timeoutMs?: number;
  /** Packages to install and modules to preload into the snapshot. */
  packages?: PythonPackages;
}

/**
 * A snapshot for Python hosts: a valid cached one, or a new one (stored in
 * the cache when it is writable, else in `workDir`).
 */
export async function preparePythonSnapshot(options: SnapshotOptions): Promise<PythonSnapshot> {
  const snapshot = await obtainSnapshot(options);
  const native = options.packages?.native;
  if (native) {
    await checkNativePackages(
      options.pyodideDir,
      options.memoryLimitBytes,
      await Deno.readFile(snapshot.path),
      options.packages!,
      options.timeoutMs,
    );
  }
  return snapshot;
}

async function obtainSnapshot(options: SnapshotOptions): Promise<PythonSnapshot> {
  const { pyodideDir, cacheDir, workDir, memoryLimitBytes, timeoutMs, packages } = options;
  const key = cacheDir ? await snapshotKey(pyodideDir, packages?.fingerprint) : "";
  const path = `${workDir}/python.snapshot`;
  // Written under another name and renamed: a host never reads half of it.
  const keep = async (bytes: Uint8Array) => {
    await Deno.writeFile(`${path}.tmp`, bytes, { mode: 0o600 });
    await Deno.rename(`${path}.tmp`, path);
  };
  if (cacheDir) {
    const found = await findCachedSnapshot(cacheDir, key).catch(() => undefined);
    if (found) {
      await keep(found.bytes);
      return { path, cached: true, cachePath: found.path };
    }
  }
  const bytes = await makePythonSnapshot(pyodideDir, memoryLimitBytes, timeoutMs, packages);
  await keep(bytes);
  if (!cacheDir) return { path, cached: false };
  try {
    return { path, cached: false, cachePath: await storeSnapshot(cacheDir, key, bytes) };
  } catch (err) {
    return { path, cached: false, storeError: (err as Error).message };
  }
}

/**
 * Makes a snapshot in a worker; resolves with its bytes. A preloaded module
 * that cannot be imported rejects with a {@linkcode PackageError}.
 */
export async function makePythonSnapshot(
  pyodideDir: string,
  memoryLimitBytes: number,
  timeoutMs = 60_000,
  packages?: PythonPackages,
): Promise<Uint8Array> {
  const reply = await inWorker(pyodideDir, memoryLimitBytes, timeoutMs, "snapshot", {
    makeSnapshot: true,
    packagesZip: packages?.zip?.slice(),
    preload: packages?.preload,
  });
  return reply.bytes as Uint8Array;
}

/**
 * Starts one instance from `snapshot` with the compiled packages installed
 * and imports each compiled module once, so a package that was not built
 * for this Pyodide stops start-up instead of failing runs. Rejects with a
 * {@linkcode PackageError} naming what failed.
 */
export async function checkNativePackages(
  pyodideDir: string,
  memoryLimitBytes: number,
  snapshot: Uint8Array,
  packages: PythonPackages,
  timeoutMs = 60_000,
): Promise<void> {
  await inWorker(pyodideDir, memoryLimitBytes, timeoutMs, "checked", {
    snapshot,
    packagesZip: packages.zip?.slice(),
    native: packages.native && unpackNative(packages.native),
    checkNative: true,
  });
}

/** Runs a Python worker with a Python worker's permissions until it posts `expect`. */
async function inWorker(
  pyodideDir: string,
  memoryLimitBytes: number,
  timeoutMs: number,
  expect: string,
  init: Partial<InitMessage>,
): Promise<Record<string, unknown>> {
  const worker = new Worker(new URL("../workers/python_worker.ts", import.meta.url), {
    type: "module",
    name: "python-snapshot",
    deno: {
      permissions: {
        env: false,
        ffi: false,
        import: false,
        net: false,
        read: PYODIDE_FILES.map((f) => Deno.realPathSync(`${pyodideDir}/${f}`)),
        run: false,
        sys: false,
        write: false,
      },
    },
  });
  const channel = new MessageChannel();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<Record<string, unknown>>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Python worker: no ${expect} in time`)), timeoutMs);
      channel.port1.onmessage = (e) => {
        if (e.data?.t === expect) resolve(e.data);
        if (e.data?.t === "failed") reject(new PackageError(String(e.data.reason)));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      worker.postMessage({
        port: channel.port2,
        control: new SharedArrayBuffer(CONTROL_BYTES),
        gate: new SharedArrayBuffer(GATE_BYTES),
        indexURL: pyodideDir,
        memoryLimitBytes,
        ...init,
      }, [channel.port2]);
    });
  } finally {
    clearTimeout(timer);
    channel.port1.close();
    worker.terminate();
  }
}
