/**
 * The lifecycle faults through the local supervisor, as a kubelet would play them: a memory leak
 * is OOM-killed at its limit and restarted; a crash happens once and the restart stays up; a crash
 * loop backs off with doubling delays; a start-up failure keeps failing its restarts. Lifting the
 * fault (a new service.json, so a new pod) starts a service waiting out its back-off at once.
 * Waits on the supervisor's events, never on sleeps; "nothing more happens" is a window measured
 * on the service's own clock (livedThrough).
 */
import { existsSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { NO_FAULTS } from "../../core/runtime-config";
import { generate } from "../../core/spec";
import { healthChecker, type HealthChecker } from "../../local/health";
import { startLocalSystem, type LocalSystem } from "../../local/system";
import { eventually, livedThrough } from "./helpers";

jest.setTimeout(120_000);

let sys: LocalSystem;
let h: HealthChecker;
const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed: "42", services: 4 }));
const dir = mkdtempSync(join(tmpdir(), "slop-lifecycle-"));

beforeAll(async () => {
  sys = await startLocalSystem(spec, {
    dir,
    workers: 2,
    // Long enough that "restarted at once after the fix" cannot be the back-off's own timer.
    backoff: { initialMs: 200, maxMs: 60_000, resetAfterMs: 60_000 },
  });
  h = healthChecker();
});
afterAll(async () => {
  h?.close();
  await sys?.stop();
});

const events = (id: string, event?: string) =>
  sys.events().filter((e) => e.id === id && (event === undefined || e.event === event));
const serving = async (id: string): Promise<boolean> => {
  const s = sys.services.find((x) => x.id === id);
  return s !== undefined && (await h.check(s.address, 500)) === "SERVING";
};

/** The JSON lines of one service's log (logs/<service name>.log). */
function serviceLog(id: string): { service: string; level: string; msg: string; [k: string]: unknown }[] {
  const name = spec.services.find((s) => s.id === id)?.name as string;
  const file = join(dir, "logs", `${name}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { service: string; level: string; msg: string });
}

/** Lift the faults and wait until the service serves again; returns its restart count then. */
async function lift(id: string): Promise<number> {
  sys.setFaults(id, NO_FAULTS);
  expect(await eventually(() => serving(id), 30_000)).toBe(true);
  return sys.restarts()[id] ?? 0;
}

it("memory leak: OOM-killed at the limit, restarted, and killed again while the leak lasts", async () => {
  const id = spec.services[1].id;
  sys.setFaults(id, { ...NO_FAULTS, leak: { mibPerSec: 200, limitMiB: 40 } });
  expect(await eventually(() => events(id, "died").length >= 2, 30_000)).toBe(true);
  for (const e of events(id, "died")) expect(e.detail).toBe("OOMKilled (exit code 137)");
  expect(sys.restarts()[id]).toBeGreaterThanOrEqual(1);
  await lift(id);
  // Its own log file shows each start and each kill (as a kubelet records it: OOMKilled, exit
  // code 137, nothing about a leak), and holds no other service's lines.
  const log = serviceLog(id);
  expect(log.every((l) => l.service === id)).toBe(true);
  expect(log.filter((l) => l.msg === "terminated").map((l) => [l.reason, l.exit_code])).toEqual(
    events(id, "died").map(() => ["OOMKilled", 137]),
  );
  expect(log.filter((l) => l.msg === "serving").length).toBe(1 + (sys.restarts()[id] ?? 0));
});

it("memory leak at the schema's largest rate and limit: an OOM kill of the service, never a dead worker (issue 22)", async () => {
  const id = spec.services[1].id; // the one that leaked above: no other test counts its restarts
  const before = events(id, "died").length;
  sys.setFaults(id, { ...NO_FAULTS, leak: { mibPerSec: 65_536, limitMiB: 65_536 } });
  expect(await eventually(() => events(id, "died").length > before, 30_000)).toBe(true);
  expect(events(id, "died").map((e) => e.detail)).toEqual(
    events(id, "died").map(() => "OOMKilled (exit code 137)"),
  );
  expect(sys.events().filter((e) => /worker \d+ exited/.test(e.detail ?? ""))).toEqual([]);
  await lift(id);
});

it("crash (times 1): dies once, the restart stays up", async () => {
  const id = spec.services[2].id;
  const before = sys.restarts()[id] ?? 0;
  sys.setFaults(id, { ...NO_FAULTS, crash: { afterMs: 50, times: 1 } });
  expect(await eventually(() => events(id, "started").length >= 1, 30_000)).toBe(true);
  expect(await eventually(() => serving(id), 30_000)).toBe(true);
  // Ten times afterMs on the service's own clock: a second crash would have come.
  const address = sys.services.find((s) => s.id === id)?.address ?? "";
  expect(await livedThrough(sys, address, 500)).toBe(true);
  expect(events(id, "died")).toHaveLength(1);
  expect(events(id, "died")[0].detail).toBe("Error (exit code 1)");
  expect(sys.restarts()[id]).toBe(before + 1);
  // The same faults set again are a new service.json, so a new pod: it crashes once more.
  sys.setFaults(id, { ...NO_FAULTS, crash: { afterMs: 50, times: 1 } });
  expect(await eventually(() => events(id, "started").length >= 2, 30_000)).toBe(true);
  expect(events(id, "died")).toHaveLength(2);
  expect(sys.restarts()[id]).toBe(before + 2);
  await lift(id);
});

it("crash loop: every start dies, and the back-off doubles (CrashLoopBackOff)", async () => {
  const id = spec.services[3].id;
  sys.setFaults(id, { ...NO_FAULTS, crash: { afterMs: 20, times: 0 } });
  expect(await eventually(() => events(id, "restarting").length >= 3, 30_000)).toBe(true);
  const delays = events(id, "restarting").map((e) => Number(/in (\d+) ms/.exec(e.detail)?.[1]));
  expect(delays.slice(0, 3)).toEqual([200, 400, 800]);
  // The fix rolls a new pod: no waiting out the (now 1.6 s and growing) back-off.
  const restarts = await lift(id);
  expect(events(id, "restarting").some((e) => /now \(new faults/.test(e.detail))).toBe(true);
  expect(restarts).toBeGreaterThanOrEqual(3);
});

it("start-up failure: the running service dies, every restart fails to start, until the fix", async () => {
  const id = spec.services[1].id;
  sys.setFaults(id, { ...NO_FAULTS, failStartup: true });
  expect(await eventually(() => events(id, "start-failed").length >= 2, 30_000)).toBe(true);
  for (const e of events(id, "start-failed"))
    expect(e.detail).toBe(`service ${id}: initialisation failed, exiting`);
  expect(await serving(id)).toBe(false);
  await lift(id);
  // The other services never restarted.
  expect(sys.restarts()[spec.services[0].id] ?? 0).toBe(0);
  // The failed starts are in the service's own log; a service that never failed logged one start.
  const failed = serviceLog(id).filter((l) => l.msg === "start-up failed");
  expect(failed.length).toBe(events(id, "start-failed").length);
  expect(failed[0]?.error).toBe(`service ${id}: initialisation failed, exiting`);
  const first = spec.services[0].id;
  expect(serviceLog(first).map((l) => [l.service, l.msg])).toEqual([[first, "serving"]]);
});
