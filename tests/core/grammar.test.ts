import fc from "fast-check";
import { type Expr, LOCAL_OPS, MAX_NESTING, ParseError, type Path, parse, print } from "../../core/grammar";

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.stringMatching(/^[A-Z]{1,3}$/).map((service): Expr => ({ type: "call", service })),
  fc.constantFrom(...LOCAL_OPS).map((op): Expr => ({ type: "local", op })),
);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("expr"), { minLength: 1, maxLength: 4 }).map((items): Expr => ({ type: "parallel", items })),
    fc.array(tie("expr"), { minLength: 1, maxLength: 4 }).map((items): Expr => ({ type: "chain", items })),
    fc
      .record({ count: fc.integer({ min: 2, max: 99 }), body: tie("expr") })
      .map((r): Expr => ({ type: "repeat", ...r })),
    fc
      .record({ k: fc.integer({ min: 1, max: 999 }), body: tie("expr") })
      .map(({ k, body }): Expr => ({ type: "maybe", p: k / 1000, body })),
  ),
}));

const pathArb: fc.Arbitrary<Path> = fc
  .array(expr, { minLength: 1, maxLength: 5 })
  .map((items): Path => ({ type: "path", items }));

describe("grammar round trip", () => {
  it("parse(print(ast)) deep-equals ast", () => {
    fc.assert(
      fc.property(pathArb, (p) => {
        expect(parse(print(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it("print(parse(s)) === s for canonical strings", () => {
    fc.assert(
      fc.property(pathArb, (p) => {
        const s = print(p);
        expect(print(parse(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it("canonicalises whitespace", () => {
    expect(print(parse(" { A , cpu } * 3 ,\tB ? 0.50 "))).toBe("{A,cpu}*3,B?0.5");
  });
});

describe("grammar errors", () => {
  it.each([
    ["", 0, "a service id"],
    ["A,", 2, "a service id"],
    ["{A", 2, "',' or '}'"],
    ["(A}", 2, "',' or ')'"],
    ["A B", 2, "',' or end of input"],
    ["A*1", 2, "a repeat count"],
    ["A*100", 2, "a repeat count"],
    ["A?1.5", 2, "a probability"],
    ["A?0.1234", 2, "a probability"],
    ["foo", 0, "a local op"],
    ["A#", 1, "an operation"],
    ["{}", 1, "a service id"],
  ])("%p fails at %i expecting %s", (src, position, expected) => {
    let err: unknown;
    try {
      parse(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const pe = err as ParseError;
    expect(pe.position).toBe(position);
    expect(pe.expected).toContain(expected);
    expect(pe.message).toContain(`at position ${position}`);
  });
});

describe("grammar bounds", () => {
  const parseError = (src: string): ParseError => {
    try {
      parse(src);
    } catch (err) {
      if (err instanceof ParseError) return err;
      throw err;
    }
    throw new Error(`${src.slice(0, 20)} parsed`);
  };

  it.each([
    ["groups 10,000 deep", "(".repeat(10_000) + "noop" + ")".repeat(10_000), /at most 64 nested groups/],
    ["10,000 postfix operators", "noop" + "*2".repeat(10_000), /at most 64 postfix operators/],
    [
      "a path longer than 65,536 characters",
      "noop,".repeat(20_000) + "noop",
      /at most 65536 characters but found 100004 characters/,
    ],
  ])("%s is a ParseError, never a stack overflow, and its message is short", (_label, src, msg) => {
    const err = parseError(src);
    expect(err.message).toMatch(msg);
    expect(err.message.length).toBeLessThan(300);
  });

  it("accepts the deepest nesting allowed", () => {
    const src = "(".repeat(MAX_NESTING) + "noop" + "*2".repeat(MAX_NESTING) + ")".repeat(MAX_NESTING);
    expect(print(parse(src))).toBe(src);
  });
});
