import type { LocalOp } from "../../core/grammar";
import type { OpCosts } from "../../core/types";
import { burnCpu, type CpuCalibration } from "./cpu";
import { diskRoundTrip } from "./disk";
import { syncedWrites } from "./io";
import { churnMemory, type WorkingSet } from "./mem";
import { netRoundTrip } from "./net";

/** What local ops need from their service: costs, calibration, working set, a writable directory and the echo port. */
export interface LocalOpEnv {
  readonly costs: OpCosts;
  /** The process's CPU calibration: what one `cpuMs` is in work. */
  readonly cpu: CpuCalibration;
  /** The service's working set for `mem`; null in `churn` mode (a fresh buffer per op). */
  readonly memory: WorkingSet | null;
  readonly dataDir: string;
  readonly echoPort: number;
}

/** Run one local op with the service's cost for it. */
export async function runLocalOp(op: LocalOp, env: LocalOpEnv): Promise<void> {
  switch (op) {
    case "cpu":
      burnCpu(env.costs.cpuMs, env.cpu);
      return;
    case "mem":
      if (env.memory === null) churnMemory(env.costs.memMiB);
      else env.memory.touch();
      return;
    case "disk":
      await diskRoundTrip(env.dataDir, env.costs.diskKiB);
      return;
    case "io":
      await syncedWrites(env.dataDir, env.costs.ioOps);
      return;
    case "net":
      await netRoundTrip(env.echoPort, env.costs.netKiB);
      return;
    case "noop":
      return;
    default: {
      const never: never = op;
      throw new Error(`unknown local op ${String(never)}`);
    }
  }
}
