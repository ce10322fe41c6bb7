/**
 * `mem`: memory work. By default (`reuse`) a service owns one buffer of `memMiB` MiB, its working
 * set, allocated and touched when the service starts (so its RSS holds it from then on), and every
 * op reads and writes one byte in each 64-byte cache line of it: the whole working set passes
 * through the caches, as a service that scans its in-memory data does, at a cost per MiB that
 * does not depend on the garbage collector. `churn` allocates a fresh buffer per op instead (page
 * faults and garbage-collection pressure, for experiments that want them).
 */
import { StartupError } from "../paths";

export const CACHE_LINE = 64;
const MIB = 1024 * 1024;

export const MEM_MODES = ["reuse", "churn"] as const;
export type MemMode = (typeof MEM_MODES)[number];

/** The env knob that selects the mode of every service of the process. */
export const MEM_MODE_ENV = "SLOP_MEM_MODE";

/** The mode from SLOP_MEM_MODE (unset or empty: `reuse`). */
export function memModeFrom(value: string | undefined): MemMode {
  if (value === undefined || value === "") return "reuse";
  if (!(MEM_MODES as readonly string[]).includes(value)) {
    throw new StartupError(
      `${MEM_MODE_ENV} must be ${MEM_MODES.join(" or ")} (got ${JSON.stringify(value)})`,
    );
  }
  return value as MemMode;
}

/** Read and write one byte in every cache line of `buf`. Returns the number of lines touched. */
export function touchLines(buf: Uint8Array): number {
  let lines = 0;
  for (let off = 0; off < buf.length; off += CACHE_LINE) {
    buf[off] = (buf[off] + 1) & 0xff;
    lines++;
  }
  return lines;
}

function bytesOf(mib: number): number {
  return Math.max(0, Math.floor(mib * MIB));
}

/** A service's working set: `mib` MiB, resident from construction on. */
export class WorkingSet {
  private readonly buf: Uint8Array;

  constructor(mib: number) {
    // Not from Buffer's shared pool, and touched at once: the pages are resident, so the
    // service's RSS shows its working set before the first request, as a real service's does.
    this.buf = Buffer.allocUnsafeSlow(bytesOf(mib));
    touchLines(this.buf);
  }

  get bytes(): number {
    return this.buf.length;
  }

  /** One `mem` op. Returns the number of cache lines touched. */
  touch(): number {
    return touchLines(this.buf);
  }
}

/** One `mem` op in `churn` mode: a fresh `mib` MiB buffer, every cache line touched, then dropped. */
export function churnMemory(mib: number): number {
  const bytes = bytesOf(mib);
  return bytes === 0 ? 0 : touchLines(Buffer.allocUnsafeSlow(bytes));
}
