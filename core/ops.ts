/**
 * The op table: each local op's cost key and the bounds of that cost. The generator's config
 * ranges (SlopConfig `opCost`), the drawn per-service costs (SystemSpec `opCosts`) and what the
 * runtime accepts (service.json `opCosts`) all take their bounds from here, so they cannot
 * disagree. The implementations are keyed by the same op names in runtime/ops/index.ts. Adding a
 * local op: a row here, LOCAL_OPS in grammar/ast.ts, and its implementation.
 */
import { Type, type TNumber } from "@sinclair/typebox";
import type { LocalOp } from "./grammar/ast";

export interface OpRow {
  /** The key of this op's cost in OpCosts, or null for an op without a cost. */
  readonly cost: "cpuMs" | "memMiB" | "diskKiB" | "ioOps" | "netKiB" | null;
  /** Largest cost the runtime will run (the generator's ranges are capped at it too). */
  readonly max: number;
  /** Whether the cost must be an integer at run time. */
  readonly integer: boolean;
  /** What the cost means, for documentation and JSON Schema. */
  readonly unit: string;
}

export const OP_TABLE: Readonly<Record<LocalOp, OpRow>> = {
  cpu: { cost: "cpuMs", max: 60_000, integer: false, unit: "busy loop, milliseconds" },
  mem: { cost: "memMiB", max: 65_536, integer: false, unit: "allocate and touch, MiB" },
  disk: { cost: "diskKiB", max: 1_048_576, integer: false, unit: "write + fsync + read back, KiB" },
  net: { cost: "netKiB", max: 1_048_576, integer: false, unit: "send and receive, KiB" },
  noop: { cost: null, max: 0, integer: true, unit: "nothing" },
  io: { cost: "ioOps", max: 100_000, integer: true, unit: "synced 4 KiB writes" },
};

export type CostKey = NonNullable<OpRow["cost"]>;

/** The cost keys in OpCosts order, each with its row. */
export const COST_KEYS: readonly CostKey[] = ["cpuMs", "memMiB", "diskKiB", "ioOps", "netKiB"];

export function costRow(key: CostKey): OpRow {
  const row = Object.values(OP_TABLE).find((r) => r.cost === key);
  if (!row) throw new Error(`no op has the cost key ${key}`);
  return row;
}

/**
 * The per-service op costs (SystemSpec `opCosts`, service.json `opCosts`): each in 0..its op's
 * max, integers where the op needs them.
 */
export const OpCostsSchema = Type.Object(
  Object.fromEntries(
    COST_KEYS.map((k) => {
      const row = costRow(k);
      const bounds = { minimum: 0, maximum: row.max, description: row.unit };
      return [k, row.integer ? Type.Integer(bounds) : Type.Number(bounds)];
    }),
  ) as Record<CostKey, TNumber>,
  { additionalProperties: false },
);
