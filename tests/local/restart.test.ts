import { existsSync, mkdtempSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { NO_FAULTS } from "../../core/runtime-config";
import { generate } from "../../core/spec";
import { healthChecker } from "../../local/health";
import { startLocalSystem } from "../../local/system";
import { eventually, livedThrough } from "./helpers";

jest.setTimeout(60_000);

it("a crashed service is restarted on the same port with back-off, and its restarts are counted", async () => {
  const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed: "42", services: 3 }));
  const sys = await startLocalSystem(spec, {
    dir: mkdtempSync(join(tmpdir(), "slop-restart-")),
    workers: 2,
    backoff: { initialMs: 100, maxMs: 400 },
  });
  const h = healthChecker();
  try {
    const victim = sys.services[1];
    // A crash loop: every start dies after 50 ms.
    sys.setFaults(victim.id, { ...NO_FAULTS, crash: { afterMs: 50, times: 0 } });
    expect(await eventually(() => (sys.restarts()[victim.id] ?? 0) >= 2, 20_000)).toBe(true);
    const died = sys.events().filter((e) => e.id === victim.id && e.event === "died");
    expect(died.length).toBeGreaterThanOrEqual(2);
    // Recovery: without the fault the next start stays up, on the same address.
    sys.setFaults(victim.id, NO_FAULTS);
    expect(await eventually(async () => (await h.check(victim.address, 500)) === "SERVING", 20_000)).toBe(
      true,
    );
    const deaths = () => sys.events().filter((e) => e.id === victim.id && e.event === "died").length;
    const [before, deathsBefore] = [sys.restarts()[victim.id], deaths()];
    // Six times afterMs on the service's own clock: a crash still armed would have come.
    expect(await livedThrough(sys, victim.address, 300)).toBe(true);
    expect(deaths()).toBe(deathsBefore);
    expect(sys.restarts()[victim.id]).toBe(before);
    expect(sys.restarts()[sys.services[0].id] ?? 0).toBe(0);
  } finally {
    h.close();
    await sys.stop();
  }
});

it("the services' data directories are removed on stop, also after a worker was killed", async () => {
  const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed: "42", services: 3 }));
  const sys = await startLocalSystem(spec, { dir: mkdtempSync(join(tmpdir(), "slop-cleanup-")), workers: 2 });
  try {
    expect(readdirSync(sys.dataRoot).sort()).toEqual(spec.services.map((s) => s.id).sort());
    // SIGKILL: the worker cannot remove its services' directories itself.
    process.kill(sys.pids[0]!, "SIGKILL");
  } finally {
    await sys.stop();
  }
  expect(existsSync(sys.dataRoot)).toBe(false);
});
