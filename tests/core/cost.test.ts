import { parseConfig } from "../../core/config";
import {
  COST_MODEL,
  interpolate,
  modelOrigin,
  opCpuMs,
  opWallMs,
  requestCpuMs,
  type CostModel,
} from "../../core/realism/cost";
import { systemStats } from "../../core/realism/stats";
import { generate } from "../../core/spec";

const linear = (fixed: number, perUnit: number) => ({ fixed, perUnit });
const op = (cpu: [number, number], wall: [number, number]) => ({
  cpuMs: linear(...cpu),
  wallMs: linear(...wall),
});

/** A model with round numbers, so each figure can be worked out by hand. */
const MODEL: CostModel = {
  measured: {},
  entryCpuMs: [
    [10, 4],
    [1000, 1],
  ],
  hopCpuMs: [
    [10, 8],
    [1000, 2],
  ],
  hopWallMs: 0.5,
  idleCpuMsPerServiceSecond: 10,
  ops: {
    cpu: op([0, 1], [0, 1]),
    mem: op([0.5, 0.25], [0.5, 0.25]),
    disk: op([1, 0.01], [2, 0.01]),
    io: op([0, 0.2], [0, 1]),
    net: op([0.1, 0.01], [0.2, 0.01]),
    noop: op([0, 0], [0, 0]),
  },
};

describe("the cost model", () => {
  it.each([
    [1, 4],
    [10, 4],
    [100, 2], // halfway in log-log space: the geometric mean of 4 and 1
    [1000, 1],
    [5000, 1],
  ])("interpolates the entry table at %p rps to %p ms", (x, y) => {
    expect(interpolate(MODEL.entryCpuMs, x)).toBeCloseTo(y, 9);
  });

  it("costs an op as fixed + perUnit x its cost, in CPU and in wall time", () => {
    const costs = { cpuMs: 3, memMiB: 8, diskKiB: 100, ioOps: 2, netKiB: 10 };
    expect(opCpuMs("cpu", costs, MODEL)).toBe(3);
    expect(opCpuMs("mem", costs, MODEL)).toBe(2.5);
    expect(opCpuMs("disk", costs, MODEL)).toBe(2);
    expect(opWallMs("disk", costs, MODEL)).toBe(3);
    expect(opWallMs("io", costs, MODEL)).toBe(2);
    expect(opCpuMs("noop", costs, MODEL)).toBe(0);
  });

  it("a request's CPU: entry at the rate, each further visit at the visit rate, its ops, the idle share", () => {
    // 3 visits at 100 rps, 10 visits on average (1,000 visits/s), 5 services:
    // entry 2 + 2 hops x 2 + ops 1.5 + idle 10 x 5 / 100.
    expect(requestCpuMs(3, 1.5, { rps: 100, meanVisits: 10, services: 5 }, MODEL)).toBeCloseTo(
      2 + 4 + 1.5 + 0.5,
      9,
    );
  });

  it("slop stats' CPU per request falls as the rate rises, and the cores follow rate x CPU", () => {
    const spec = generate(parseConfig({}, { seed: "7", services: 10 }));
    const slow = systemStats(spec, { requests: 2000, rps: 10, model: MODEL }).requests;
    const fast = systemStats(spec, { requests: 2000, rps: 500, model: MODEL }).requests;
    expect(fast.cpuMs.mean).toBeLessThan(slow.cpuMs.mean);
    expect(slow.cores).toBeCloseTo((10 * slow.cpuMs.mean) / 1000, 9);
    // The same simulated requests: only the rate-dependent part moved.
    expect(fast.workMs).toEqual(slow.workMs);
    expect(fast.nodes).toEqual(slow.nodes);
  });

  it("the stored model is complete: every op, ascending tables, positive costs", () => {
    for (const t of [COST_MODEL.entryCpuMs, COST_MODEL.hopCpuMs]) {
      expect(t.length).toBeGreaterThan(0);
      for (let i = 1; i < t.length; i++) expect(t[i]![0]).toBeGreaterThan(t[i - 1]![0]);
      for (const [, y] of t) expect(y).toBeGreaterThan(0);
    }
    expect(Object.keys(COST_MODEL.ops).sort()).toEqual(["cpu", "disk", "io", "mem", "net", "noop"]);
  });
});

describe("the cost model's origin", () => {
  it("names the machine, date and load of a calibration, and calls an unmeasured model a placeholder", () => {
    const measured: CostModel = {
      ...MODEL,
      measured: { at: "2026-12-07T06:40:00.000Z", cpuModel: "Some CPU", cores: 2, loadAverage: [0.8, 1, 1] },
    };
    expect(modelOrigin(measured)).toBe("measured 2026-12-07 on 2 x Some CPU at load average 0.8");
    expect(modelOrigin(MODEL)).toBe("placeholder figures, not yet measured on this runtime");
    const spec = generate(parseConfig({}, { seed: "7", services: 10 }));
    expect(systemStats(spec, { requests: 200, model: measured }).requests.costModel).toBe(
      modelOrigin(measured),
    );
    // The checked-in model says which it is.
    expect(modelOrigin(COST_MODEL)).toMatch(/^(measured \d{4}-\d\d-\d\d|placeholder figures)/);
  });
});
