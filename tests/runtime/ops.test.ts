import { mkdtemp, readdir, rm } from "fs/promises";
import { tmpdir } from "os";
import { join } from "path";
import { burnCpu } from "../../runtime/ops/cpu";
import { diskRoundTrip } from "../../runtime/ops/disk";
import { syncedWrites } from "../../runtime/ops/io";
import { touchMemory } from "../../runtime/ops/mem";
import { netRoundTrip, startEchoServer } from "../../runtime/ops/net";

describe("local ops", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "slop-ops-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("cpu busy-loops for at least the given milliseconds", () => {
    const t0 = performance.now();
    burnCpu(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(20);
  });

  it.each([
    [1, 256],
    [2.5, 640],
    [0, 0],
  ])("mem %p MiB touches every 4 KiB page (%p pages)", (mib, pages) => {
    expect(touchMemory(mib)).toBe(pages);
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
