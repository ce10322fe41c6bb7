import { parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import { assignWorkers, startWaves } from "../../local/system";

describe("local start-up waves", () => {
  it.each([
    [1, 8],
    [42, 30],
    [7, 60],
  ])(
    "seed %i, %i services: every service starts after all its callees, each exactly once",
    (seed, services) => {
      const spec = generate(parseConfig({ seed, services }));
      const waves = startWaves(spec);
      const waveOf = new Map<string, number>();
      waves.forEach((w, i) => w.forEach((s) => waveOf.set(s.id, i)));
      expect(
        waves
          .flat()
          .map((s) => s.id)
          .sort(),
      ).toEqual(spec.services.map((s) => s.id).sort());
      for (const svc of spec.services) {
        for (const callee of svc.calls) expect(waveOf.get(callee)!).toBeLessThan(waveOf.get(svc.id)!);
      }
      // The gateway calls every service nobody else calls, so it is alone in the last wave.
      expect(waves[waves.length - 1]!.map((s) => s.id)).toEqual([spec.gateway]);
    },
  );
});

describe("worker assignment", () => {
  const spec = generate(parseConfig({}, { seed: "42", services: 5 }));
  const ids = spec.services.map((s) => s.id);

  it("round-robins over the shared workers and gives each isolated service a process of its own", () => {
    const { workerOf, processes } = assignWorkers(spec, 2, [ids[2]!, ids[2]!, "NOPE"]);
    expect(ids.map((id) => workerOf.get(id))).toEqual([0, 1, 2, 0, 1]);
    expect(processes).toBe(3);
  });

  it("never starts more shared workers than services, nor fewer than one", () => {
    expect(assignWorkers(spec, 16, []).processes).toBe(5);
    expect(assignWorkers(spec, 0, []).processes).toBe(1);
  });
});
