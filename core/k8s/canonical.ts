/**
 * Canonical JSON shape: object keys sorted recursively, `undefined` members dropped, arrays kept
 * in their (deliberate) order. The same spec then always serialises to the same bytes.
 * A value that is already canonical is returned as is (no copy), so builders that write their
 * literals in key order cost only the check.
 */
export function canonical<T>(value: T): T {
  return sortValue(value) as T;
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
  const keys = Object.keys(src);
  let same = true;
  for (let i = 0; i < keys.length; i++) {
    if ((i > 0 && keys[i - 1] > keys[i]) || src[keys[i]] === undefined) {
      same = false;
      break;
    }
  }
  const children = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const x = src[keys[i]];
    children[i] = x === undefined ? undefined : sortValue(x);
    if (children[i] !== x) same = false;
  }
  if (same) return v;
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const i of order) if (children[i] !== undefined) out[keys[i]] = children[i];
  return out;
}
