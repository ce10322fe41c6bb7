/**
 * Seeded random streams. Every decision draws from its own stream, seeded by
 * `${seed}/${entityId}/${field}`, so changing one decision (or adding a service) never shifts
 * the numbers another decision sees. Alea: cheap to create, good enough for procedural generation.
 * No module state: a stream is a plain object owned by its caller.
 */
import seedrandom from "seedrandom";

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive; lo <= hi). */
  int(lo: number, hi: number): number;
  /** Uniform float in [lo, hi). */
  float(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Uniform element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** Index drawn with probability weights[i] / sum(weights); weights >= 0 with a positive sum. */
  weightedIndex(weights: readonly number[]): number;
  /** Element drawn by weight (see weightedIndex). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
}

/** Wrap a [0, 1) source in the helpers. */
export function fromSource(source: () => number): Rng {
  const rng: Rng = {
    next: source,
    int(lo, hi) {
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi)) {
        throw new RangeError(`int(lo, hi) needs integers lo <= hi (got ${lo}, ${hi})`);
      }
      return lo + Math.floor(source() * (hi - lo + 1));
    },
    float(lo, hi) {
      return lo + source() * (hi - lo);
    },
    chance(p) {
      return p > 0 && source() < p;
    },
    pick(items) {
      if (items.length === 0) throw new RangeError("pick() from an empty list");
      return items[Math.floor(source() * items.length)];
    },
    weightedIndex(weights) {
      let total = 0;
      for (const w of weights) total += w;
      if (!(total > 0)) throw new RangeError(`weighted pick needs a positive total weight (got ${total})`);
      let r = source() * total;
      let last = -1;
      for (let i = 0; i < weights.length; i++) {
        if (weights[i] <= 0) continue;
        last = i;
        if (r < weights[i]) return i;
        r -= weights[i];
      }
      return last; // floating-point remainder: the last positive weight
    },
    weighted(items, weights) {
      if (items.length !== weights.length)
        throw new RangeError("weighted(): items and weights differ in length");
      return items[rng.weightedIndex(weights)];
    },
    shuffle(items) {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(source() * (i + 1));
        const t = out[i];
        out[i] = out[j];
        out[j] = t;
      }
      return out;
    },
  };
  return rng;
}

/** The stream for one decision (`field`) of one entity under one seed. */
export function stream(seed: string, entityId: string, field: string): Rng {
  return fromSource(seedrandom.alea(`${seed}/${entityId}/${field}`));
}
