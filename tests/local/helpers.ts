import { execFileSync } from "child_process";
import type { LocalSystem } from "../../local/system";
import { createClient } from "../../runtime/client";

/** True while a process with this pid exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = execFileSync("ps", ["-o", "stat=", "-p", String(pid)])
      .toString()
      .trim();
    return stat !== "" && !stat.startsWith("Z");
  } catch {
    return false;
  }
}

/** Pids of the live children of `pid`. */
export function children(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)])
      .toString()
      .split("\n")
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0 && alive(n));
  } catch {
    return [];
  }
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Wait until the service at `address` has been up for `ms` more by its own clock: it answers
 * requests until one starts `ms` after the first (HandleResponse.startUnixMicros). Its crash timer
 * (due `afterMs` after its start) would have fired before it handled that request, so this is a
 * window the worker really lived through, not a sleep a stalled worker could outlast. Then one IPC
 * round trip to every worker (rss): a death the workers reported before has reached the supervisor.
 * Returns false if the service stopped answering (it died).
 */
export async function livedThrough(sys: LocalSystem, address: string, ms: number): Promise<boolean> {
  const client = createClient(address);
  try {
    let first: number | undefined;
    for (let i = 0; ; i++) {
      const res = await client.handle({ requestId: `alive-${i}`, pathIndex: 0 }, 5000).catch(() => undefined);
      if (res === undefined) return false;
      first ??= res.startUnixMicros;
      if (res.startUnixMicros >= first + ms * 1000) return true;
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    client.close();
    await sys.rss();
  }
}
