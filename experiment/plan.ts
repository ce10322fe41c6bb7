/**
 * The plan of an experiment (pure): every run, the blocks a system start covers, and the run order.
 *
 *   runs    system points x treatments x levels x repetitions
 *   blocks  isolation "point": one block per (point, treatment, repetition), its levels in random
 *           order, so each repetition is an independent replicate that starts its own system;
 *           isolation "run": one block per run (a fresh system for every run)
 *   order   the blocks shuffled with a seeded stream (core/rng), so the treatments (a baseline
 *           commit's included) interleave in time and a slow hour of the host does not fall on one
 *           of them; randomize false keeps repetition-major grid order
 *
 * A run's arrival seed depends only on its repetition (common random numbers: every treatment and
 * level of repetition r sees the same arrival process). Its hash covers the document and every
 * factor of the run, so a resumed experiment can prove that a finished run is the one it planned.
 * Run ids are their positions in the order (r001, r002, ...): a directory listing is the run order.
 */
import { createHash } from "crypto";
import { canonicalJson } from "../core/canonical";
import type { LoadMode, SettingValue } from "../core/experiment-schema";
import { stream } from "../core/rng";
import { gridPoints, type Experiment, type Settings } from "./document";

export interface PlannedRun {
  /** Position in the run order as an id: r001 (as wide as the plan needs). */
  readonly id: string;
  /** 1-based position in the run order. */
  readonly order: number;
  /** sha256 (first 12 hex) of the document hash and every factor of the run. */
  readonly hash: string;
  readonly block: string;
  readonly treatment: string;
  /** The grid point (dotted key -> value). */
  readonly system: Settings;
  /** Short hash of the grid point (names stacks and block directories). */
  readonly point: string;
  readonly mode: LoadMode;
  /** Rate (open loop) or concurrency (closed loop). */
  readonly level: number;
  /** 1-based. */
  readonly repetition: number;
  readonly arrivalSeed: string;
}

export interface PlannedBlock {
  readonly id: string;
  readonly treatment: string;
  readonly system: Settings;
  readonly point: string;
  readonly repetition: number;
  /** Run ids in run order. */
  readonly runs: readonly string[];
}

export interface Plan {
  readonly orderSeed: string;
  readonly runs: readonly PlannedRun[];
  readonly blocks: readonly PlannedBlock[];
}

const sha = (v: unknown, n: number): string =>
  createHash("sha256").update(canonicalJson(v)).digest("hex").slice(0, n);

/** The arrival seed of repetition `r` (1-based): the same for every treatment, point and level. */
export function arrivalSeed(name: string, r: number): string {
  return `${name}/rep${r}`;
}

export function pointHash(system: Settings): string {
  return sha(system, 8);
}

/** What a run is, for its hash: the document and every factor. */
export function runHash(
  documentHash: string,
  r: Pick<PlannedRun, "treatment" | "system" | "mode" | "level" | "repetition" | "arrivalSeed">,
): string {
  return sha(
    {
      documentHash,
      treatment: r.treatment,
      system: r.system,
      mode: r.mode,
      level: r.level,
      repetition: r.repetition,
      arrivalSeed: r.arrivalSeed,
    },
    12,
  );
}

interface Cell {
  readonly treatment: string;
  readonly system: Settings;
  readonly repetition: number;
  readonly levels: readonly number[];
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

export function planExperiment(e: Experiment, orderSeed: string): Plan {
  const points = gridPoints(e.grid);
  // Repetition-major grid order: the order when randomize is false, and the input of the shuffle.
  const cells: Cell[] = [];
  for (let r = 1; r <= e.repetitions; r++) {
    for (const system of points) {
      for (const t of e.treatments)
        cells.push({ treatment: t.name, system, repetition: r, levels: e.load.levels });
    }
  }
  type Unit = { readonly cell: Cell; readonly levels: readonly number[] };
  let units: Unit[] =
    e.isolation === "run"
      ? cells.flatMap((cell) => cell.levels.map((l) => ({ cell, levels: [l] })))
      : cells.map((cell) => ({ cell, levels: cell.levels }));
  if (e.randomize) {
    units = stream(orderSeed, "experiment", "blocks").shuffle(units);
    units = units.map((u, i) => ({
      cell: u.cell,
      levels: stream(orderSeed, `block-${i}`, "levels").shuffle(u.levels),
    }));
  }
  const total = units.reduce((n, u) => n + u.levels.length, 0);
  const width = Math.max(3, String(total).length);
  const bWidth = Math.max(3, String(units.length).length);
  const runs: PlannedRun[] = [];
  const blocks: PlannedBlock[] = [];
  units.forEach((u, b) => {
    const block = `b${pad(b + 1, bWidth)}`;
    const point = pointHash(u.cell.system);
    const ids: string[] = [];
    for (const level of u.levels) {
      const order = runs.length + 1;
      const factors = {
        treatment: u.cell.treatment,
        system: u.cell.system,
        mode: e.load.mode,
        level,
        repetition: u.cell.repetition,
        arrivalSeed: arrivalSeed(e.name, u.cell.repetition),
      };
      const id = `r${pad(order, width)}`;
      ids.push(id);
      runs.push({ id, order, hash: runHash(e.documentHash, factors), block, point, ...factors });
    }
    blocks.push({
      id: block,
      treatment: u.cell.treatment,
      system: u.cell.system,
      point,
      repetition: u.cell.repetition,
      runs: ids,
    });
  });
  return { orderSeed, runs, blocks };
}

/** The grid point as `k=v` text (for progress lines and labels). */
export function pointText(system: Readonly<Record<string, SettingValue>>): string {
  const s = Object.entries(system)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
  return s === "" ? "(one system)" : s;
}
