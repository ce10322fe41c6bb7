/**
 * Seeded random streams. Every decision draws from its own stream, seeded by
 * `${seed}/${entityId}/${field}`, so changing one decision (or adding a service) never shifts
 * the numbers another decision sees. No module state: a stream is a plain object owned by its
 * caller.
 *
 * The generator is Tyche-i (Neves and Araujo, "Fast and small nonlinear pseudorandom number
 * generators for computer simulation", 2011), seeded from the key as seedrandom 3.0.5's
 * `seedrandom.tychei(key)` seeds it, so every stream gives the numbers it always gave (a test
 * compares the two on many keys). Generation creates about 17 streams per service and draws only
 * a few numbers from each, so seeding is what costs: Tyche-i seeds with 32-bit integer rounds
 * (one per key character, plus 20), where Alea hashes the key three times in floating point; it
 * passes the same uniformity checks (tests/core/rng.test.ts), as it passes BigCrush as a sequence.
 * It is written out here, as a class with four int32 fields, because seedrandom's version builds
 * closures per stream and keeps its state in object properties: at 10,000 services its seeding
 * was about a third of `generate`'s CPU time.
 */

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

/** The helpers over `next()`; methods live on the prototype, so a stream is one small object. */
abstract class BaseRng implements Rng {
  abstract next(): number;

  int(lo: number, hi: number): number {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi)) {
      throw new RangeError(`int(lo, hi) needs integers lo <= hi (got ${lo}, ${hi})`);
    }
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  float(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick() from an empty list");
    return items[Math.floor(this.next() * items.length)];
  }

  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new RangeError(`weighted pick needs a positive total weight (got ${total})`);
    let r = this.next() * total;
    let last = -1;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] <= 0) continue;
      last = i;
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return last; // floating-point remainder: the last positive weight
  }

  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    if (items.length !== weights.length)
      throw new RangeError("weighted(): items and weights differ in length");
    return items[this.weightedIndex(weights)];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}

/** The helpers over a [0, 1) source. */
class SourceRng extends BaseRng {
  constructor(private readonly source: () => number) {
    super();
  }

  next(): number {
    return this.source();
  }
}

/** Wrap a [0, 1) source in the helpers. */
export function fromSource(source: () => number): Rng {
  return new SourceRng(source);
}

/** Tyche-i's state, four 32-bit integers, with the helpers: a stream is this one object. */
class TycheI extends BaseRng {
  private a = 0;
  private b = 0;
  private c = 2654435769 | 0;
  private d = 1367130551;

  /** Each key character is XORed into `b` and followed by a round, then 20 more rounds. */
  constructor(key: string) {
    super();
    for (let k = 0; k < key.length; k++) {
      this.b ^= key.charCodeAt(k);
      this.step();
    }
    for (let k = 0; k < 20; k++) this.step();
  }

  /** One round of the inverted Tyche quarter-round pair; returns the new `a` (an int32). */
  step(): number {
    let b = this.b;
    let c = this.c;
    let d = this.d;
    let a = this.a;
    b = (b << 25) ^ (b >>> 7) ^ c;
    c = (c - d) | 0;
    d = (d << 24) ^ (d >>> 8) ^ a;
    a = (a - b) | 0;
    b = (b << 20) ^ (b >>> 12) ^ c;
    c = (c - d) | 0;
    this.b = b;
    this.c = c;
    this.d = (d << 16) ^ (c >>> 16) ^ a;
    this.a = (a - b) | 0;
    return this.a;
  }

  /** Uniform in [0, 1), 32 bits. */
  next(): number {
    return (this.step() >>> 0) / 0x100000000;
  }
}

/** Tyche-i seeded by `key`: the numbers of seedrandom 3.0.5's `seedrandom.tychei(key)()`. */
export function tycheI(key: string): () => number {
  const g = new TycheI(key);
  return () => g.next();
}

/** The stream for one decision (`field`) of one entity under one seed. */
export function stream(seed: string, entityId: string, field: string): Rng {
  return new TycheI(`${seed}/${entityId}/${field}`);
}
