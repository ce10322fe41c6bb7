/**
 * Canonical JSON, defined once: object keys in canonical order at every level, `undefined` members
 * dropped, arrays kept in their (deliberate) order. The same value gives the same bytes everywhere:
 * the K8s objects, incident files, the hash of a run's config and the diff's equality all use it.
 * (The SystemSpec is not sorted: it keeps the fixed, schema-ordered layout that core/spec.ts builds.)
 *
 * Canonical key order: integer-like keys ("0", "17"; array indices up to 2^32-1) first, in numeric
 * order, then every other key in UTF-16 code-unit order (what `Array.prototype.sort` does). The
 * first rule is not a choice: a JavaScript object always lists its integer-like keys first, in
 * numeric order, so that is the only order an object (and `JSON.stringify` of it) can carry.
 *
 * `canonical(v)` returns a value that is already canonical as is (no copy), so `canonical(o) === o`
 * is the check that a builder wrote `o` in canonical order: the tests run it over everything
 * `expand` builds. `sortedRecord` is what the builders use for input maps; `canonicalJson` gives
 * the bytes.
 */
export function canonical<T>(value: T): T {
  return sortValue(value) as T;
}

/** The canonical JSON text of a value (`indent` as in `JSON.stringify`); `undefined` gives "null". */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortValue(value), null, indent) ?? "null";
}

/** A copy of a string map with its keys in canonical order (for maps that come from the input). */
export function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(r)
      .sort(compareKeys)
      .map((k) => [k, r[k]]),
  );
}

/** The canonical key order (see the top of this file), as a comparator for `sort`. */
export function compareKeys(a: string, b: string): number {
  const ia = isIndexKey(a);
  const ib = isIndexKey(b);
  if (ia || ib) return ia && ib ? Number(a) - Number(b) : ia ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "0", "1", ... "4294967295": the keys an object lists first (V8's integer indices). */
function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 48 && c <= 57 && k.length <= 10 && String(Number(k) >>> 0) === k;
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
    if ((prev !== null && compareKeys(prev, k) > 0) || x === undefined || sortValue(x) !== x) {
      canonicalSoFar = false;
      break;
    }
    prev = k;
  }
  if (canonicalSoFar) return v;
  // fromEntries, not assignment: a "__proto__" key must stay an own property.
  const entries: [string, unknown][] = [];
  for (const k of Object.keys(src).sort(compareKeys)) {
    const x = src[k];
    if (x !== undefined) entries.push([k, sortValue(x)]);
  }
  return Object.fromEntries(entries);
}
