/**
 * A block-style YAML emitter for JSON data (what `slop render` prints), about 30 times faster
 * than the `yaml` library's stringify, which spent nearly all of a 10,000-service render building
 * its document model. Pure, no dependencies.
 *
 * Safety: the text must read back as the same data under YAML 1.2 and under YAML 1.1, which
 * kubectl (go-yaml) and much of the Kubernetes tooling use. A string is printed plain only when no
 * reader could take it for something else: not a bool or null word of either version (`on`, `y`,
 * `~`), not a number in any base or form a reader accepts (`0755`, `0o17`, `1_000`, `1:20`,
 * `0x1p3`, `.inf`), not a date, and free of YAML syntax. The rule is deliberately wider than the
 * `yaml` library's own (which prints `0o17` plain under 1.1, where YAML 1.2 reads 15).
 * tests/core/yaml.property.test.ts checks the round trip against the `yaml` parser, both versions.
 *
 * Shape (as the `yaml` library prints with `lineWidth: 0`): two-space indent, sequences indented
 * under their key, `{}` and `[]` for empty collections, multi-line strings as literal blocks
 * (`|-`), other strings that need quotes double-quoted with JSON escapes (valid YAML escapes),
 * object members whose value is `undefined` left out (as JSON.stringify does).
 */

/** Words that YAML 1.1 or 1.2 reads as a bool or null (any case), plus 1.1's merge and value keys. */
const WORDS = /^(?:y|yes|n|no|on|off|true|false|null|~|<<|=)$/i;

/**
 * Anything a YAML 1.1 or 1.2 reader, or Go's strconv (go-yaml resolves with it after dropping
 * `_`), could read as a number, plus anything that starts like a date. Wider than needed on
 * purpose; it only has to be cheap and never miss.
 */
const NUMBERISH = new RegExp(
  [
    // Decimal. YAML 1.1 also takes `_` anywhere, `.` alone (NaN) and no digits before an exponent (`e0`).
    String.raw`^[-+]?[0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9_]+)?$`,
    String.raw`^[-+]?0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][-+]?[0-9_]+)?$`, // hex int, hex float
    String.raw`^[-+]?0[oObB][0-9_]*$`, // octal, binary
    // .inf, +Infinity, -.NaN (any case: flag i). Bare `INF` or `NaN` is a string for every reader
    // (go-yaml tries strconv only on a leading digit, sign or dot), and a service id.
    String.raw`^(?:[-+]\.?|\.)(?:inf|infinity|nan)$`,
    String.raw`^[-+]?[0-9][0-9_]*(?::[0-9_]*)+(?:\.[0-9_]*)?$`, // 1.1 base 60: 1:20, 1:20:30.5
    String.raw`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`, // a date, and every timestamp that starts with one
  ].join("|"),
  "i",
);

/** The common case, decided without the slower checks: letters, digits and `_./-`, not first `-`. */
const SIMPLE = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;

/**
 * Characters that force quotes anywhere: C0 controls except tab (tab is excluded from plain
 * scalars separately), DEL, C1 controls (NEL is a line break in YAML 1.1), U+2028/2029 (also 1.1
 * line breaks), the BOM, the non-characters U+FFFE/FFFF and lone surrogates.
 */
const NON_PRINTABLE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What may not start a plain scalar: a YAML indicator (`-`, `?` and `:` included, which is simpler
 * than their exceptions), white space, or `...` (a document end marker at the start of a line).
 */
const INDICATOR_START = /^(?:[-?:,[\]{}#&*!|>'"%@`\s]|\.\.\.)/;

/** Plain-scalar breakers: `: ` and ` #` (mapping value, comment), a trailing `:` or space, tab or line break. */
const BREAKS_PLAIN = /: |:$| #|\s$|[\t\n\r]/;

/** Whether `s` can be printed without quotes and read back as the same string by YAML 1.1 and 1.2. */
export function isPlainSafe(s: string): boolean {
  if (s.length === 0) return false;
  if (SIMPLE.test(s)) return !WORDS.test(s) && !NUMBERISH.test(s);
  return (
    !INDICATOR_START.test(s) &&
    !BREAKS_PLAIN.test(s) &&
    !NON_PRINTABLE.test(s) &&
    !WORDS.test(s) &&
    !NUMBERISH.test(s)
  );
}

const ESCAPE_EXTRA = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/**
 * A double-quoted YAML scalar. JSON's escapes are all valid YAML escapes; JSON leaves DEL, the C1
 * controls, U+2028/2029, the BOM and U+FFFE/FFFF raw, which YAML must see escaped.
 */
export function quote(s: string): string {
  const json = JSON.stringify(s);
  return ESCAPE_EXTRA.test(json)
    ? json.replace(ESCAPE_EXTRA, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : json;
}

/** Strings up to this long have their printed form cached. */
const CACHED_CHARS = 256;
/** Entries kept before the cache starts over (bounds its memory). */
const CACHE_ENTRIES = 1 << 16;
/**
 * The printed form of recently seen strings: a rendered system repeats the same keys, label
 * values, names and ports in every object, and deciding whether one may be plain takes several
 * regular expressions.
 */
const printed = new Map<string, string>();

function scalarString(s: string): string {
  if (s.length > CACHED_CHARS) return isPlainSafe(s) ? s : quote(s);
  let out = printed.get(s);
  if (out === undefined) {
    out = isPlainSafe(s) ? s : quote(s);
    if (printed.size >= CACHE_ENTRIES) printed.clear();
    printed.set(s, out);
  }
  return out;
}

/** A line that is empty or white space only. */
const BLANK_LINE = /(?:^|\n)[^\S\n]*(?:\n|$)/;

/**
 * A literal block (`|-` or `|`) for a multi-line string, when one reads back exactly: printable
 * text, no CR, not starting with a space or a line break (the block's indentation would then be
 * ambiguous) and at most one trailing line break (more would need `|+`). Otherwise null.
 */
function literalBlock(s: string, indent: string): string | null {
  if (s.indexOf("\r") >= 0 || NON_PRINTABLE.test(s)) return null;
  const first = s.charCodeAt(0);
  if (first === 0x20 || first === 0x0a || first === 0x09) return null;
  const keep = s.endsWith("\n");
  const body = keep ? s.slice(0, -1) : s;
  if (body.endsWith("\n")) return null;
  const head = keep ? "|" : "|-";
  // The common case (service.json): no empty or blank lines, so every line is indented alike.
  if (!BLANK_LINE.test(body)) return `${head}\n${indent}${body.replaceAll("\n", `\n${indent}`)}`;
  let out = head;
  for (const line of body.split("\n")) {
    // A whitespace-only line in a block can be misread as indentation: quote instead.
    if (line.length > 0 && line.trim().length === 0) return null;
    out += line.length === 0 ? "\n" : `\n${indent}${line}`;
  }
  return out;
}

function scalar(v: unknown, indent: string): string {
  switch (typeof v) {
    case "string":
      return (v.indexOf("\n") >= 0 ? literalBlock(v, indent) : null) ?? scalarString(v);
    case "number":
      if (Number.isNaN(v)) return ".nan";
      if (!Number.isFinite(v)) return v > 0 ? ".inf" : "-.inf";
      return Object.is(v, -0) ? "-0" : String(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      // null, and undefined inside an array (JSON.stringify writes null there too).
      return "null";
  }
}

/** Longest key YAML accepts without the explicit `? ` form. */
const MAX_IMPLICIT_KEY = 1024;

function printedKey(k: string): string {
  const key = scalarString(k);
  if (key.length > MAX_IMPLICIT_KEY) {
    throw new Error(`a key of ${key.length} characters is too long for YAML (at most ${MAX_IMPLICIT_KEY})`);
  }
  return key;
}

const emptyOf = (v: object): string => (Array.isArray(v) ? "[]" : "{}");

/**
 * The lines of a collection, each ending in a line break, or "" when it is empty (no items, or
 * only members whose value is `undefined`). `indent` is the indentation of its lines; the first
 * line starts with `lead` instead (`- ` and the parent's indentation when the collection is a
 * sequence item, so that it starts on the item's line).
 */
function emitCollection(v: object, indent: string, lead: string): string {
  const inner = `${indent}  `;
  let out = "";
  if (Array.isArray(v)) {
    const dash = `${indent}- `;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const itemLead = i === 0 ? `${lead}- ` : dash;
      if (typeof item === "object" && item !== null) {
        const body = emitCollection(item, inner, itemLead);
        out += body === "" ? `${itemLead}${emptyOf(item)}\n` : body;
      } else out += `${itemLead}${scalar(item, inner)}\n`;
    }
    return out;
  }
  let prefix = lead;
  const rec = v as Record<string, unknown>;
  for (const k in rec) {
    const x = rec[k];
    if (x === undefined) continue;
    const key = printedKey(k);
    if (typeof x === "object" && x !== null) {
      // Sequences are indented under their key, as the yaml library and kubectl print them.
      const body = emitCollection(x, inner, inner);
      out += body === "" ? `${prefix}${key}: ${emptyOf(x)}\n` : `${prefix}${key}:\n${body}`;
    } else out += `${prefix}${key}: ${scalar(x, inner)}\n`;
    prefix = indent;
  }
  return out;
}

/**
 * One YAML document for a JSON value (objects, arrays, strings, finite numbers, booleans, null),
 * ending in a line break. Throws on a key longer than 1,024 characters.
 */
export function toYamlDocument(value: unknown): string {
  if (typeof value !== "object" || value === null) return `${scalar(value, "  ")}\n`;
  const body = emitCollection(value, "", "");
  return body === "" ? `${emptyOf(value)}\n` : body;
}
