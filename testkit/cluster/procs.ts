/**
 * The cluster's daemons: started detached (they outlive `cluster up`), each with a log file and a
 * record (pid + a marker from its command line) in the state file, and stopped by that record. A pid
 * is signalled only while /proc/<pid>/cmdline still holds the marker, so a recycled pid is never
 * killed by mistake.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** A string in the process's command line that only this cluster's daemons carry (its directory). */
  readonly marker: string;
  readonly log: string;
}

export interface StartSpec {
  readonly name: string;
  readonly bin: string;
  readonly args: readonly string[];
  /** Run inside this network namespace (`ip netns` name) through nsenter. */
  readonly netns?: string;
  readonly logDir: string;
  readonly marker: string;
  readonly env?: NodeJS.ProcessEnv;
}

export function startDaemon(s: StartSpec): Daemon {
  fs.mkdirSync(s.logDir, { recursive: true });
  const log = path.join(s.logDir, `${s.name}.log`);
  const fd = fs.openSync(log, "a");
  const [cmd, args] =
    s.netns === undefined
      ? [s.bin, [...s.args]]
      : ["nsenter", [`--net=/run/netns/${s.netns}`, "--", s.bin, ...s.args]];
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, ...s.env },
  });
  fs.closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`${s.name}: could not start ${s.bin}`);
  return { name: s.name, pid: child.pid, marker: s.marker, log };
}

export function cmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return undefined;
  }
}

/** True while the process runs (a zombie counts as gone). */
export function alive(d: Pick<Daemon, "pid" | "marker">): boolean {
  const cmd = cmdline(d.pid);
  if (cmd === undefined) return false;
  // Between fork and exec a child started here still shows this process' command line.
  if (!cmd.includes(d.marker) && parentOf(d.pid) !== process.pid) return false;
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${d.pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** This process and its ancestors (`npm run cluster -- down --dir X` carries X in its command line). */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  for (let pid: number | undefined = process.pid; pid !== undefined && pid > 1 && !out.has(pid);) {
    out.add(pid);
    pid = parentOf(pid);
  }
  return out;
}

/** The parent's pid, from /proc/PID/stat; undefined when the process is gone. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/**
 * Every process on the machine whose command line contains `marker` (for a state file that is lost),
 * except this one and its ancestors.
 */
export function findByMarker(marker: string): number[] {
  const out: number[] = [];
  const mine = selfAndAncestors();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (mine.has(pid)) continue;
    if (cmdline(pid)?.includes(marker) === true) out.push(pid);
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every one is gone. */
export async function stopAll(
  daemons: readonly Pick<Daemon, "pid" | "marker">[],
  graceMs = 10_000,
): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const d of daemons) {
      if (!alive(d)) continue;
      try {
        process.kill(d.pid, sig);
      } catch {
        // gone in between
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (daemons.some(alive) && Date.now() < deadline) await sleep(100);
  if (daemons.some(alive)) {
    signal("SIGKILL");
    const hard = Date.now() + 10_000;
    while (daemons.some(alive) && Date.now() < hard) await sleep(100);
  }
  const left = daemons.filter(alive);
  if (left.length > 0)
    throw new Error(`processes still running after SIGKILL: ${left.map((d) => d.pid).join(", ")}`);
}

/** The last `n` lines of a log file, for error messages. */
export function tailFile(file: string, n = 20): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-n).join("\n");
  } catch {
    return "(no log)";
  }
}
