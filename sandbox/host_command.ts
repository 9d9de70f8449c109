/**
 * The command line and environment a host process starts with: what it may
 * read (its own code, its workers', the protocol, Pyodide's files, its
 * snapshot and packages, the link plan and its glue) and write (its socket), its V8 flags, and an
 * environment cleared of everything but what Deno needs.
 */
import type { Runtime } from "../protocol/host_messages.ts";
import type { HostSettings } from "./host_types.ts";

/**
 * V8 flags of every host, besides its heap limit. No code can be compiled
 * from strings in a worker's own realm (run contexts allow it), so code
 * that reaches that realm cannot write an `import()`; flags cannot change
 * once the host is up.
 */
export const HOST_V8_FLAGS = [
  "--disallow-code-generation-from-strings",
  "--freeze-flags-after-init",
];

/** The V8 flags a host of `runtime` starts with. */
export function hostV8Flags(runtime: Runtime, memoryLimitMb: number): string[] {
  const flags = [`--max-old-space-size=${memoryLimitMb}`, ...HOST_V8_FLAGS];
  if (runtime === "python") {
    // Python's JS side allocates little per run: a 1 MB young generation
    // saves ~7 MB of RSS per worker.
    flags.push("--max-semi-space-size=1");
    // Optimised Pyodide code with deopt points kept deoptimising and being
    // compiled again on V8's background threads, in every worker, for as
    // long as the host lived: without them a warm run costs about a third
    // less CPU, a fresh instance about 150 ms less, and CPU-bound Python
    // runs faster (docs/performance.md).
    flags.push("--no-wasm-deopt");
  }
  return flags;
}

const HOST_MAIN = new URL("../host/host_main.ts", import.meta.url).pathname;
// The host process reads its own code, its workers' and the protocol both
// speak: never the server's.
const SOURCE_DIRS = ["../host/", "../workers/", "../protocol/"]
  .map((dir) => new URL(dir, import.meta.url).pathname)
  .join(",");
/** The command that starts a host of `runtime` with its `token` and `denoDir`. */
export function hostCommand(
  runtime: Runtime,
  settings: HostSettings,
  token: string,
  denoDir: string,
): Deno.Command {
  const socket = settings.hub.path;
  let snapshot = runtime === "python" ? settings.pythonSnapshot ?? "" : "";
  if (snapshot && !isFile(snapshot)) {
    settings.onSnapshotMissing?.(snapshot);
    snapshot = "";
  }
  const packages = runtime === "python" ? settings.pythonPackagesZip ?? "" : "";
  const native = runtime === "python" ? settings.pythonNativeZip ?? "" : "";
  // Only with a snapshot: the plan is for the fast restore.
  const plan = snapshot && settings.pythonLinkPlan;
  const [linkedGlue, linkPlan] = plan && isFile(plan.gluePath) && isFile(plan.planPath)
    ? [plan.gluePath, plan.planPath]
    : ["", ""];
  const v8Flags = hostV8Flags(runtime, settings.memoryLimitMb);
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--cached-only",
      `--config=${settings.configPath}`,
      `--allow-read=${
        [
          settings.pyodideDir,
          socket,
          SOURCE_DIRS,
          snapshot,
          packages,
          native,
          linkedGlue,
          linkPlan,
        ].filter(Boolean).join(",")
      }`,
      `--allow-write=${socket}`,
      `--allow-net=unix:${socket}`,
      `--v8-flags=${v8Flags.join(",")}`,
      HOST_MAIN,
      socket,
      token,
      runtime,
      String(settings.memoryLimitMb),
      settings.pyodideDir,
      snapshot,
      packages,
      native,
      linkedGlue,
      linkPlan,
    ],
    clearEnv: true,
    env: { ...hostEnv(), DENO_DIR: denoDir },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * glibc's allocator settings for hosts. Every new worker copies
 * multi-megabyte buffers (its glue's code cache alone is ~4 MB) into fresh
 * memory; buffers up to 8 MiB therefore come from the heap, where the next
 * worker reuses their pages, instead of from a new mapping that faults in
 * every page again (~2,000 page faults, about 45 ms of CPU, per Python
 * instance at a 128 KiB threshold). Fixed values, because glibc's adaptive
 * threshold would climb to the snapshot's size and keep tens of megabytes
 * of freed buffers per host; at 8 MiB of trim threshold an idle host holds
 * ~10 MB more (docs/performance.md).
 */
export const HOST_ALLOCATOR_ENV: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: String(8 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(8 * 2 ** 20),
});

/** The environment a host gets: what Deno needs to find its cache, and allocator tuning. */
function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    ...HOST_ALLOCATOR_ENV,
  };
  for (const name of ["HOME", "XDG_CACHE_HOME", "PATH"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}
