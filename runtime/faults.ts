import type { FaultConfig } from "../core/types";
import { RpcError } from "./errors";

/** Added latency in ms for one request: fixed `ms`, uniform in [0, 2ms), or exponential with mean `ms`. */
export function sampleLatencyMs(latency: FaultConfig["latency"], random: () => number = Math.random): number {
  const { distribution, ms } = latency;
  if (ms <= 0) return 0;
  switch (distribution) {
    case "fixed":
      return ms;
    case "uniform":
      return random() * 2 * ms;
    case "exponential":
      return -Math.log(1 - random()) * ms;
    default: {
      const never: never = distribution;
      throw new Error(`unknown latency distribution ${String(never)}`);
    }
  }
}

/** The injected error for one request, or null (probability `errorRate`). */
export function sampleError(faults: FaultConfig, random: () => number = Math.random): RpcError | null {
  if (faults.errorRate <= 0 || random() >= faults.errorRate) return null;
  return new RpcError(faults.errorCode, `injected fault (error rate ${faults.errorRate})`);
}
