/** Kubernetes resource quantities in the canonical forms the generator emits. */

/** 250 -> "250m". */
export function cpuQuantity(millicores: number): string {
  if (!Number.isSafeInteger(millicores) || millicores < 0) {
    throw new RangeError(`cpu millicores must be a non-negative integer (got ${millicores})`);
  }
  return `${millicores}m`;
}

/** 256 -> "256Mi". */
export function memoryQuantity(mebibytes: number): string {
  if (!Number.isSafeInteger(mebibytes) || mebibytes < 0) {
    throw new RangeError(`memory MiB must be a non-negative integer (got ${mebibytes})`);
  }
  return `${mebibytes}Mi`;
}
