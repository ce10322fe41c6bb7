import { status } from "@grpc/grpc-js";
import { NO_FAULTS } from "../../core/runtime-config";
import { sampleError, sampleLatencyMs } from "../../runtime/faults";

describe("fault sampling", () => {
  it.each([
    ["fixed", 0.3, 50, 50],
    ["uniform", 0, 50, 0],
    ["uniform", 0.5, 50, 50],
    ["uniform", 0.75, 40, 60],
    ["exponential", 0, 50, 0],
    ["exponential", 1 - Math.exp(-1), 50, 50],
  ] as const)("%s latency with random %p and ms %p is %p", (distribution, r, ms, want) => {
    expect(sampleLatencyMs({ distribution, ms }, () => r)).toBeCloseTo(want, 9);
  });

  it("no latency when ms is 0", () => {
    expect(sampleLatencyMs({ distribution: "exponential", ms: 0 }, () => 0.9)).toBe(0);
  });

  it("injects the configured code with probability errorRate", () => {
    const faults = { ...NO_FAULTS, errorRate: 0.25, errorCode: status.ABORTED };
    expect(sampleError(faults, () => 0.2)?.code).toBe(status.ABORTED);
    expect(sampleError(faults, () => 0.25)).toBeNull();
    expect(sampleError(NO_FAULTS, () => 0)).toBeNull();
    expect(sampleError({ ...faults, errorRate: 1 }, () => 0.999999)?.code).toBe(status.ABORTED);
  });
});
