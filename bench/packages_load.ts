/** What installed Python packages cost: start-up, idle memory, host replacement. */
import { startServer } from "./server_process.ts";
import { idleRssMb, replacement } from "./service_probes.ts";
import { testPackagesDir } from "../tests/helpers/wheels.ts";
import { nativePackagesDir } from "../tests/helpers/side_modules.ts";

/** A figure of the report. */
export interface PackageRow {
  scenario: string;
  p50Ms?: number;
  peakRssMb?: number;
}

/**
 * Starts the service with the test packages (pure, then compiled), each
 * twice (the second start takes the snapshot from the cache), and measures.
 */
export async function packageScenarios(
  serviceEnv: Record<string, string>,
  flags: string[],
): Promise<PackageRow[]> {
  const out: PackageRow[] = [];

  // Python packages: the test packages (three small pure-Python wheels, one
  // preloaded) cost at start and per instance.
  const wheels = testPackagesDir();
  const packagesEnv = {
    ...serviceEnv,
    FAAS_PYTHON_PACKAGES_DIR: wheels,
    FAAS_PYTHON_PACKAGES: "alpha,gamma",
    FAAS_PYTHON_PRELOAD: "alpha,gamma",
  };
  const withPackagesFirst = await startServer("main.ts", flags, packagesEnv, "/health");
  await withPackagesFirst.stop();
  const withPackages = await startServer("main.ts", flags, packagesEnv, "/health");
  out.push({
    scenario: "service start to ready with the test packages, snapshot cached (ms)",
    p50Ms: withPackages.startMs,
  });
  out.push({
    scenario: "idle RSS per python host with the test packages, one spare instance (MB)",
    peakRssMb: await idleRssMb(withPackages, "python"),
  });
  await withPackages.stop();
  await Deno.remove(wheels, { recursive: true });

  // Compiled packages (a tiny extension module and a pure package needing it,
  // preloaded): each instance installs them when it starts, after the snapshot.
  const native = nativePackagesDir();
  const nativeEnv = {
    ...serviceEnv,
    FAAS_PYTHON_PACKAGES_DIR: native,
    FAAS_PYTHON_PACKAGES: "calc",
    FAAS_PYTHON_PRELOAD: "calc",
  };
  await (await startServer("main.ts", flags, nativeEnv, "/health")).stop();
  const withNative = await startServer("main.ts", flags, nativeEnv, "/health");
  out.push({
    scenario: "service start to ready with the compiled test packages, snapshot cached (ms)",
    p50Ms: withNative.startMs,
  });
  out.push({
    scenario: "idle RSS per python host with the compiled test packages, one spare instance (MB)",
    peakRssMb: await idleRssMb(withNative, "python"),
  });
  out.push({
    scenario: "replacement of a killed python host with the compiled test packages (ms)",
    p50Ms: await replacement(withNative, "python"),
  });
  await withNative.stop();
  await Deno.remove(native, { recursive: true });
  return out;
}
