import fc from "fast-check";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../core/config";
import { expand } from "../../core/expand";
import { generate } from "../../core/spec";
import { isPlainSafe, toYamlDocument } from "../../core/yaml";

const VERSIONS = ["1.1", "1.2"] as const;

/** Reads `text` strictly: any error or warning of the yaml parser fails the test. */
function read(text: string, version: (typeof VERSIONS)[number]): unknown {
  return parse(text, { version, strict: true, uniqueKeys: true, logLevel: "error" }) as unknown;
}

/**
 * Strings built from the characters that make YAML scalars ambiguous (digits, signs, `_.:`,
 * exponent and base letters, date and bool letters, indicators, white space, line breaks and
 * characters YAML must escape), so that the numbers, dates, words and syntax cases are hit often.
 */
const trickyChars = [
  ..."0123456789_.:+-eExXoObBpPaAfFtTzZyYnNsS~<=#&*!|>'\"%@`?,[]{}/ \t\n\r",
  "\u0000",
  "\u0085",
  "\u00a0",
  "\u007f",
  "\u2028",
  "\ufeff",
  "\ud800",
  "é",
  "😀",
];
const trickyString = fc.string({ unit: fc.constantFrom(...trickyChars), maxLength: 12 });
const words = fc.constantFrom(
  ..."y Y yes No ON off True FALSE null Null ~ << = .inf -.Inf .NaN nan NaN INF +INF Infinity +infinity 0o17 0b101 0x1F 0x1p3 0755 1_000 1:20 1:20:30.5 1e3 1E+3 e0 .E1 .5 5. . 2001-12-14 2001-12-14t21:59:43.10-05:00 --- ... - ? : a:b a: b a #b".split(
    " ",
  ),
);
const anyString = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), trickyString, words);
const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    anyString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(anyString, tie("value"), { maxKeys: 4 }),
}));

describe("toYamlDocument", () => {
  it.each(VERSIONS)("round-trips any JSON value through the yaml parser reading YAML %s", (version) => {
    fc.assert(
      fc.property(value.value, (v) => {
        expect(read(toYamlDocument(v), version)).toEqual(v);
      }),
      { numRuns: 2000 },
    );
  });

  it.each(VERSIONS)("a string printed plain reads back as that string under YAML %s", (version) => {
    fc.assert(
      fc.property(anyString, (s) => {
        if (isPlainSafe(s)) expect(read(`${s}\n`, version)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ["svc-a", true],
    ["356m", true],
    ["25%", true],
    ["0dbaee9c9fedde4f", true],
    ["/etc/slop/service.json", true],
    ["http://otel:4317", true],
    ["INF", true], // a service id; only a sign or a dot makes it a number
    ["NaN", true],
    ["on", false],
    ["Y", false],
    ["0o17", false], // plain under YAML 1.1, an int under 1.2 (the yaml library prints it plain)
    ["0x1p3", false], // a float for Go's strconv, which go-yaml (kubectl) uses
    ["+Inf", false],
    [".NAN", false],
    ["1_000", false],
    ["1:20", false],
    ["2001-12-14", false],
    ["9464", false],
    ["", false],
    ["a: b", false],
    ["... x", false],
    ["- x", false],
  ])("isPlainSafe(%j) is %s", (s, plain) => {
    expect(isPlainSafe(s)).toBe(plain);
  });

  it("prints a multi-line string as a literal block", () => {
    expect(toYamlDocument({ a: "x\n  y", b: ["p\nq\n"] })).toBe(
      "a: |-\n  x\n    y\nb:\n  - |\n    p\n    q\n",
    );
  });

  it("prints generated systems exactly as the yaml library did before (render output unchanged)", () => {
    const spec = generate(parseConfig({ seed: 42, services: 40, annotations: { "a/on": "on" } }));
    for (const o of expand(spec, { otlpEndpoint: "http://otel-collector.observability:4317" })) {
      expect(toYamlDocument(o)).toBe(
        stringify(o, { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" }),
      );
    }
  });

  it.each([
    ["a\n\nb", "|-\n  a\n\n  b"], // an empty line stays empty (no trailing indent)
    ["a\nb\n", "|\n  a\n  b"],
    ["a\n  \nb", '"a\\n  \\nb"'], // a blank line could be read as indentation: quoted
    ["a\nb\n ", '"a\\nb\\n "'],
    ["\u00a0\nb", '"\u00a0\\nb"'], // a first line that is white space only (trim's sense)
    ["a\n\n", '"a\\n\\n"'], // two trailing line breaks would need |+
  ])("prints the multi-line string %j as %s", (s, printed) => {
    expect(toYamlDocument({ k: s })).toBe(`k: ${printed}\n`);
    expect(read(toYamlDocument({ k: s }), "1.1")).toEqual({ k: s });
  });

  it("prints the same after its cache of printed strings starts over", () => {
    const many = Array.from({ length: 70_000 }, (_, i) => (i % 2 === 0 ? `v${i}` : String(i)));
    const text = toYamlDocument({ many, again: ["on", "svc-a", "0755"] });
    expect(read(text, "1.1")).toEqual({ many, again: ["on", "svc-a", "0755"] });
    expect(text.endsWith('again:\n  - "on"\n  - svc-a\n  - "0755"\n')).toBe(true);
  });

  it("refuses a key too long for an implicit YAML key", () => {
    expect(() => toYamlDocument({ ["k".repeat(2000)]: 1 })).toThrow(/too long/);
  });
});
