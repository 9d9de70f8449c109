/** CPU time and memory of a process tree, read from /proc. */

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface ProcSample {
  ppid: number;
  cpuSeconds: number;
  rssBytes: number;
}

function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after "(comm) ": state is 0, ppid 1, utime 11, stime 12, rss 21.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      ppid: Number(f[1]),
      cpuSeconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
      rssBytes: Number(f[21]) * PAGE_BYTES,
    };
  } catch {
    return undefined;
  }
}

/**
 * Every process's id: from /proc's listing, or from `ps` where listing /proc
 * is not allowed (Deno lists it only with all permissions).
 */
function allPids(): number[] {
  try {
    return [...Deno.readDirSync("/proc")].map((e) => Number(e.name)).filter(Number.isInteger);
  } catch {
    const out = new Deno.Command("ps", { args: ["-e", "-o", "pid="] }).outputSync();
    return new TextDecoder().decode(out.stdout).split("\n").map(Number).filter((n) => n > 0);
  }
}

/** Every process under `root`, `root` included, with its stats. */
export function processTree(root: number): Map<number, ProcSample> {
  const all = new Map<number, ProcSample>();
  for (const pid of allPids()) {
    const sample = readProc(pid);
    if (sample) all.set(pid, sample);
  }
  const tree = new Map<number, ProcSample>();
  const wanted = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of all) {
      if (!wanted.has(pid) && wanted.has(s.ppid)) {
        wanted.add(pid);
        grew = true;
      }
    }
  }
  for (const pid of wanted) {
    const s = all.get(pid);
    if (s) tree.set(pid, s);
  }
  return tree;
}

/** Watches a process tree: CPU seconds used and peak RSS while it runs. */
export class TreeMonitor {
  #root: number;
  #start = new Map<number, number>();
  #last = new Map<number, number>();
  #peakRss = 0;
  #timer: ReturnType<typeof setInterval>;

  /** Starts sampling `root`'s tree every 100 ms. */
  constructor(root: number) {
    this.#root = root;
    for (const [pid, s] of processTree(root)) this.#start.set(pid, s.cpuSeconds);
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 100);
  }

  #sample(): void {
    let rss = 0;
    for (const [pid, s] of processTree(this.#root)) {
      rss += s.rssBytes;
      this.#last.set(pid, s.cpuSeconds);
    }
    this.#peakRss = Math.max(this.#peakRss, rss);
  }

  /** Stops sampling; CPU seconds used by the tree and its peak RSS. */
  stop(): { cpuSeconds: number; peakRssBytes: number } {
    clearInterval(this.#timer);
    this.#sample();
    let cpu = 0;
    for (const [pid, last] of this.#last) cpu += last - (this.#start.get(pid) ?? 0);
    return { cpuSeconds: cpu, peakRssBytes: this.#peakRss };
  }
}
