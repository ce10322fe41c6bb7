/** CPU time of processes, from Linux /proc (the local runner's view of its workers' CPU). */
import { readdirSync, readFileSync } from "fs";

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU milliseconds of every thread of a process so far, from each thread's schedstat
 * (nanoseconds; a thread that is running at this instant is counted up to its last scheduler
 * tick). Falls back to the process's utime + stime (10 ms ticks) where schedstat is missing.
 * Undefined when the process cannot be read (gone, not Linux).
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    }
    if (Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // No schedstat (or a thread ended while reading): the process's ticks below.
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** The CPU milliseconds of `pids` so far, summed; undefined when any cannot be read. */
export function processesCpuMs(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}
