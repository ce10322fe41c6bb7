/**
 * Canonical JSON shape: object keys sorted recursively, `undefined` members dropped, arrays kept
 * in their (deliberate) order. The same spec then always serialises to the same bytes.
 */
export function canonical<T>(value: T): T {
  return sortValue(value) as T;
}

function sortValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortValue);
  if (v === null || typeof v !== "object") return v;
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src).sort()) {
    const x = src[k];
    if (x !== undefined) out[k] = sortValue(x);
  }
  return out;
}
