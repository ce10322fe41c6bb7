import { mkdtemp, readdir, rm } from "fs/promises";
import { tmpdir } from "os";
import { join } from "path";
import { burnCpu, calibrateCpu, pinnedCalibration, spin, threadCpuBound } from "../../runtime/ops/cpu";
import { diskRoundTrip } from "../../runtime/ops/disk";
import { syncedWrites } from "../../runtime/ops/io";
import { CACHE_LINE, WorkingSet, churnMemory, memModeFrom, touchLines } from "../../runtime/ops/mem";
import { netRoundTrip, startEchoServer } from "../../runtime/ops/net";

describe("local ops", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "slop-ops-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("cpu does a fixed amount of work: cpuMs x the calibration's iterations, however long they take", () => {
    const cal = { iterationsPerMs: 1000, source: "pinned", spread: 0, cpuMs: 0, at: "" } as const;
    const t0 = performance.now();
    // 1,000 "ms" at 1,000 iterations per ms is a million iterations: a few ms on any core, where a
    // wall-clock loop would take the full second.
    expect(burnCpu(1000, cal)).toBe(spin(1_000_000));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(spin(1_000_000)).not.toBe(spin(999_999));
  });

  it("the CPU time of a cpu op matches its cpuMs within 10% (CPU time, so contention cannot skew it)", () => {
    const cal = calibrateCpu();
    expect(cal.iterationsPerMs).toBeGreaterThan(0);
    for (const ms of [10, 40]) {
      const used = [0, 1, 2, 3, 4].map(() => threadCpuBound(() => burnCpu(ms, cal))).sort((a, b) => a - b);
      const median = used[2] as number;
      expect(median / ms).toBeGreaterThan(0.9);
      expect(median / ms).toBeLessThan(1.1);
    }
  });

  it("the calibration takes about rounds x roundMs of CPU", () => {
    const cal = calibrateCpu({ rounds: 3, roundMs: 5 });
    expect(cal.source).toBe("measured");
    expect(cal.cpuMs).toBeGreaterThanOrEqual(15);
    expect(cal.spread).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ["", null],
    ["250000", 250000],
  ])("SLOP_CPU_ITERATIONS_PER_MS %p pins the calibration to %p", (value, pinned) => {
    expect(pinnedCalibration(value)?.iterationsPerMs ?? null).toBe(pinned);
  });

  it.each(["0", "abc", "-5", "1e12"])(
    "SLOP_CPU_ITERATIONS_PER_MS %p is refused, naming the variable",
    (value) => {
      expect(() => pinnedCalibration(value)).toThrow(
        `SLOP_CPU_ITERATIONS_PER_MS must be a number in 1..1000000000 (got "${value}")`,
      );
    },
  );

  it.each([
    [1, 16384],
    [2.5, 40960],
  ])("mem %p MiB touches every 64-byte cache line of the working set (%p lines)", (mib, lines) => {
    const ws = new WorkingSet(mib);
    expect(ws.bytes).toBe(mib * 1024 * 1024);
    expect(ws.touch()).toBe(lines);
    expect(churnMemory(mib)).toBe(lines);
  });

  it("mem reuses its working set: every op writes the same buffer, no new memory", () => {
    const buf = new Uint8Array(4 * CACHE_LINE);
    touchLines(buf);
    touchLines(buf);
    expect([...buf.filter((_, i) => i % CACHE_LINE === 0)]).toEqual([2, 2, 2, 2]);
    expect(buf.filter((_, i) => i % CACHE_LINE !== 0).every((b) => b === 0)).toBe(true);
    const ws = new WorkingSet(8);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 20; i++) ws.touch();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it.each([
    [undefined, "reuse"],
    ["", "reuse"],
    ["churn", "churn"],
  ])("SLOP_MEM_MODE %p is %p", (value, mode) => {
    expect(memModeFrom(value)).toBe(mode);
  });

  it("SLOP_MEM_MODE refuses other values, naming the variable and the modes", () => {
    expect(() => memModeFrom("fresh")).toThrow('SLOP_MEM_MODE must be reuse or churn (got "fresh")');
  });

  it("disk writes, syncs and reads back the bytes under the data dir, then removes the file", async () => {
    expect(await diskRoundTrip(dir, 64)).toBe(64 * 1024);
    expect(await readdir(dir)).toEqual([]);
  });

  it("disk fails with the file name when the data dir does not exist", async () => {
    await expect(diskRoundTrip(join(dir, "missing"), 1)).rejects.toThrow(join(dir, "missing"));
  });

  it("io does N synced 4 KiB writes under the data dir", async () => {
    expect(await syncedWrites(dir, 5)).toBe(5);
    expect(await readdir(dir)).toEqual([]);
    await expect(syncedWrites(join(dir, "missing"), 1)).rejects.toThrow("missing");
  });

  it("net sends N KiB through a loopback echo server and receives them back", async () => {
    const echo = await startEchoServer();
    try {
      expect(await netRoundTrip(echo.port, 256)).toBe(256 * 1024);
    } finally {
      await echo.close();
    }
    await expect(netRoundTrip(echo.port, 1)).rejects.toThrow(`127.0.0.1:${echo.port}`);
  });
});
