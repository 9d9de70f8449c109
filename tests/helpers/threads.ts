/** The threads of a process as `ps` lists them: task id, nice value and name. */

/** One thread of a process. */
export interface ThreadInfo {
  tid: number;
  nice: number;
  name: string;
}

/** Every thread of process `pid`. */
export async function threadsOf(pid: number): Promise<ThreadInfo[]> {
  const out = await new Deno.Command("ps", {
    args: ["-L", "-o", "tid=,ni=,comm=", "-p", `${pid}`],
  }).output();
  return new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean).map((line) => {
    const [tid, nice, ...name] = line.trim().split(/\s+/);
    return { tid: Number(tid), nice: Number(nice), name: name.join(" ") };
  });
}
