/**
 * Makes the Pyodide memory snapshot that Python hosts start from: Pyodide
 * loaded, common modules imported and the harness prepared, once, in a
 * worker of the server with the same permissions a Python worker has. A host
 * restoring it is ready in ~0.3 s instead of ~3 s.
 *
 * Snapshots are a private Pyodide API that only fits the exact build; the
 * version is pinned, and tests/python_snapshot_test.ts checks what we rely
 * on. Any failure here only means hosts load Pyodide the slow way.
 */
import { PYODIDE_FILES } from "./pyodide_files.ts";
import { CONTROL_BYTES } from "../workers/worker_common.ts";

/** Writes a snapshot into `dir`; resolves with its path. */
export async function makePythonSnapshot(
  pyodideDir: string,
  dir: string,
  memoryLimitBytes: number,
  timeoutMs = 60_000,
): Promise<string> {
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
    const bytes = await new Promise<Uint8Array>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error("Snapshot took too long")), timeoutMs);
      channel.port1.onmessage = (e) => {
        if (e.data?.t === "snapshot") resolve(e.data.bytes);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      worker.postMessage({
        port: channel.port2,
        control: new SharedArrayBuffer(CONTROL_BYTES),
        indexURL: pyodideDir,
        memoryLimitBytes,
        makeSnapshot: true,
      }, [channel.port2]);
    });
    const path = `${dir}/python.snapshot`;
    await Deno.writeFile(path, bytes, { mode: 0o600 });
    return path;
  } finally {
    clearTimeout(timer);
    channel.port1.close();
    worker.terminate();
  }
}
