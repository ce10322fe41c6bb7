/**
 * Canonical JSON shape: object keys sorted recursively, `undefined` members dropped, arrays kept
 * in their (deliberate) order. A value that is already canonical is returned as is (no copy), so
 * `canonical(o) === o` is the check that a builder wrote `o` in canonical order: the tests run it
 * over everything `expand` builds. `sortedRecord` is what the builders use for input maps.
 */
export function canonical<T>(value: T): T {
  return sortValue(value) as T;
}

/** A copy of a string map with its keys in sorted order (for maps that come from the input). */
export function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((k) => [k, r[k]]),
  );
}

function sortValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x = sortValue(v[i]);
      if (x !== v[i] && out === null) out = v.slice(0, i);
      if (out !== null) out.push(x);
    }
    return out ?? v;
  }
  const src = v as Record<string, unknown>;
  // Fast path: keys already in order, nothing undefined, every member already canonical. (`for in`
  // is the fastest walk; our values are plain JSON-like objects, without inherited properties.)
  let prev: string | null = null;
  let canonicalSoFar = true;
  for (const k in src) {
    const x = src[k];
    if ((prev !== null && prev > k) || x === undefined || sortValue(x) !== x) {
      canonicalSoFar = false;
      break;
    }
    prev = k;
  }
  if (canonicalSoFar) return v;
  // fromEntries, not assignment: a "__proto__" key must stay an own property.
  const entries: [string, unknown][] = [];
  for (const k of Object.keys(src).sort()) {
    const x = src[k];
    if (x !== undefined) entries.push([k, sortValue(x)]);
  }
  return Object.fromEntries(entries);
}
