/**
 * Watches the thread of a run in progress and says when it keeps a core
 * busy, so that its host can give it the lowest CPU priority (see
 * host.ts). Short runs cost nothing: the first sample starts only after
 * half of `afterMs`.
 */
import { sampleThreads } from "./thread_priority.ts";

/** What to watch, and whom to tell. */
export interface BusyThreadWatch {
  /** The host process. */
  pid: number;
  /** The name of the run's worker thread. */
  thread: string;
  /** CPU-bound time after which the thread counts as busy, ms. */
  afterMs: number;
  /** Whether the run is still going (the watch ends when it is not). */
  going(): boolean;
  /** The thread was busy: its task id. */
  onBusy(tid: number): void;
  /** Keeps the current timer, so the run's end can clear it. */
  setTimer(timer: ReturnType<typeof setTimeout>): void;
}

/**
 * From half of `afterMs` on, samples the thread for the other half; if it
 * wanted a core at least half that time it is busy, else it is sampled
 * again after twice as long as before (a run that waits costs a sample
 * now and then, never a steady stream).
 */
export function watchBusyThread(watch: BusyThreadWatch): void {
  const gap = watch.afterMs / 2;
  let wait = watch.afterMs / 2;
  const check = async () => {
    if (!watch.going()) return;
    const thread = (await sampleThreads(watch.pid, gap)).find((t) => t.name === watch.thread);
    if (!thread || !watch.going()) return;
    if (thread.busyMs >= gap / 2) return watch.onBusy(thread.tid);
    wait *= 2;
    watch.setTimer(setTimeout(check, wait));
  };
  watch.setTimer(setTimeout(check, wait));
}
