import fc from "fast-check";
import { byteSink } from "../../cli/output";

/** Everything `byteSink` hands on, and the buffers it was handed on in. */
function collect(pieces: readonly string[], size: number): { bytes: Buffer; writes: Uint8Array[] } {
  const writes: Uint8Array[] = [];
  const sink = byteSink((b) => writes.push(b), size);
  for (const p of pieces) sink.add(p);
  sink.flush();
  return { bytes: Buffer.concat(writes), writes };
}

describe("byteSink", () => {
  it("writes the UTF-8 of the pieces, in order, in buffers of at most its size", () => {
    const pieces = ["Summary: ", "é", "x".repeat(10), "\u{1F600}", "\n", "", "ü€", "y".repeat(3)];
    const { bytes, writes } = collect(pieces, 16);
    expect(bytes.toString("utf8")).toBe(pieces.join(""));
    expect(writes.length).toBeGreaterThan(1);
    for (const w of writes) expect(w.length).toBeLessThanOrEqual(16);
  });

  it("hands a piece larger than a buffer on by itself, after what came before it", () => {
    const { bytes, writes } = collect(["ab", "z".repeat(40), "cd"], 16);
    expect(bytes.toString("utf8")).toBe(`ab${"z".repeat(40)}cd`);
    expect(writes.map((w) => w.length)).toEqual([2, 40, 2]);
  });

  it("writes nothing for nothing, and never an empty buffer", () => {
    expect(collect([], 16).writes).toEqual([]);
    expect(collect(["", ""], 16).writes).toEqual([]);
  });

  it("gives new buffers: one kept by the writer is not overwritten later", () => {
    const { writes } = collect(["a".repeat(10), "b".repeat(10), "c".repeat(10)], 16);
    expect(writes.map((w) => Buffer.from(w).toString())).toEqual([
      "a".repeat(10),
      "b".repeat(10),
      "c".repeat(10),
    ]);
  });

  it("equals Buffer.from of the joined text for any pieces and size", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 30 })),
        fc.integer({ min: 4, max: 64 }),
        (pieces, size) => {
          const { bytes, writes } = collect(pieces, size);
          expect(bytes.equals(Buffer.from(pieces.join(""), "utf8"))).toBe(true);
          for (const w of writes) expect(w.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
