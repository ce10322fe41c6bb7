/**
 * Service ids: bijective base-26 of the service index (0 = "A", 25 = "Z", 26 = "AA", 701 = "ZZ",
 * 702 = "AAA"), the names remote ops use in paths. Index 0 is always the gateway.
 */

const ID_RE = /^[A-Z]+$/;

/** True for a well-formed service id ([A-Z]+). */
export function isServiceId(s: string): boolean {
  return ID_RE.test(s);
}

/** The id of service `index` (a non-negative integer). */
export function serviceId(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`service index must be a non-negative integer (got ${index})`);
  }
  let n = index + 1;
  let out = "";
  while (n > 0) {
    n -= 1;
    out = String.fromCharCode(65 + (n % 26)) + out;
    n = Math.floor(n / 26);
  }
  return out;
}

/** Inverse of `serviceId`: "A" -> 0, "AA" -> 26. */
export function indexOfId(id: string): number {
  if (!ID_RE.test(id)) throw new RangeError(`service id must match [A-Z]+ (got ${JSON.stringify(id)})`);
  let n = 0;
  for (let i = 0; i < id.length; i++) n = n * 26 + (id.charCodeAt(i) - 64);
  return n - 1;
}

/** Kubernetes name of a service: a DNS label derived from the id only ("AB" -> "svc-ab"). */
export function serviceName(id: string): string {
  if (!ID_RE.test(id)) throw new RangeError(`service id must match [A-Z]+ (got ${JSON.stringify(id)})`);
  return `svc-${id.toLowerCase()}`;
}

/** Orders ids by index (A < B < ... < Z < AA), not lexicographically. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
