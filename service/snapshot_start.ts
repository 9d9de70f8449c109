/**
 * The Python memory snapshot at start-up: taken from the cache or made
 * once, kept in the service's private directory for hosts, and made again
 * should that copy vanish.
 */
import type { Config } from "../config/config.ts";
import type { HostSettings } from "../sandbox/host.ts";
import type { Logger } from "../core/log.ts";
import type { PythonPackages } from "../python/python_packages.ts";
import { preparePythonSnapshot, type PythonSnapshot } from "../python/python_snapshot.ts";
import { prepareLinkPlan } from "../python/link_plan_prepare.ts";

/**
 * Prepares the snapshot into `workDir` and points `settings` at it (or,
 * when it fails, leaves hosts to load Pyodide themselves); `whenSettled`
 * runs either way (it starts the Python pool), once the plan hosts link
 * Pyodide by is checked too (python/link_plan_prepare.ts); when that fails,
 * hosts link the stock way.
 */
export function startPythonSnapshot(
  config: Config,
  settings: HostSettings,
  workDir: string,
  packages: PythonPackages,
  logger: Logger,
  whenSettled: () => void,
): Promise<PythonSnapshot> {
  // Python hosts start from a memory snapshot, cached or made once here;
  // without one (it failed) they load Pyodide themselves, only slower.
  const snapshotStarted = performance.now();
  const prepareSnapshot = () =>
    preparePythonSnapshot({
      pyodideDir: settings.pyodideDir,
      cacheDir: config.snapshotDir,
      workDir,
      memoryLimitBytes: config.memoryLimitMb * 2 ** 20,
      packages,
    });
  // Hosts read the service's private copy; should it vanish all the same
  // (a temp directory cleaner), hosts load Pyodide themselves meanwhile and
  // the snapshot is made or taken from the cache again, once.
  let remaking = false;
  settings.onSnapshotMissing = (path) => {
    if (remaking) return;
    remaking = true;
    logger.warn("python snapshot missing; hosts load Pyodide until it is back", { path });
    prepareSnapshot().then((made) => {
      settings.pythonSnapshot = made.path;
      logger.info("python snapshot restored", { path: made.path, cached: made.cached });
    }, (err) => logger.warn("python snapshot could not be restored", { reason: err.message }))
      .finally(() => remaking = false);
  };
  // Checked while the snapshot is prepared, and waited for before the pool
  // starts: a pool's first hosts would otherwise never use it. Without it
  // hosts link Pyodide the stock way, only slower.
  const linkPlanStarted = performance.now();
  const linkPlan = prepareLinkPlan(settings.pyodideDir, workDir).then(
    (prepared) => {
      settings.pythonLinkPlan = prepared;
      if (prepared) {
        logger.info("python link plan checked", {
          ms: Math.round(performance.now() - linkPlanStarted),
        });
      }
    },
    (err) => logger.warn("no link plan; hosts link Pyodide the stock way", { reason: err.message }),
  );
  const snapshot = prepareSnapshot();
  snapshot
    .then((made) => {
      settings.pythonSnapshot = made.path;
      logger.info(made.cached ? "python snapshot taken from cache" : "python snapshot made", {
        path: made.path,
        ...(made.cachePath && { cache: made.cachePath }),
        ms: Math.round(performance.now() - snapshotStarted),
      });
      if (made.storeError) {
        logger.warn("python snapshot not cached; the next start makes it again", {
          dir: config.snapshotDir,
          reason: made.storeError,
        });
      }
    })
    .catch((err) =>
      logger.warn("no Python snapshot; hosts will load Pyodide", { reason: err.message })
    )
    .finally(() => linkPlan.then(whenSettled));
  return snapshot;
}
