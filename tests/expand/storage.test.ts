/**
 * usesDataDir matches `disk`/`io` in the path text; the parser is the oracle. Paths come from the
 * generator with every op weighted (disk and io included) and callee ids that contain the letters
 * of the ops in upper case, which must not count.
 */
import fc from "fast-check";
import { LOCAL_OPS, type LocalOp, print } from "../../core/grammar";
import { dataVolume, usesDataDir } from "../../core/k8s/storage";
import { genPath } from "../../core/paths";
import { stream } from "../../core/rng";
import type { ServiceSpec } from "../../core/types";
import { sampleSpec } from "./fixtures";
import { writesData } from "./helpers";

const arbWeights = fc
  .tuple(...LOCAL_OPS.map(() => fc.integer({ min: 0, max: 3 })))
  .filter((w) => w.some((x) => x > 0))
  .map((w) => Object.fromEntries(LOCAL_OPS.map((op, i) => [op, w[i]])) as Record<LocalOp, number>);
const arbRemotes = fc.subarray(["IO", "DISK", "AIO", "DISKIO", "B"]);
const grammar = {
  maxDepth: 3,
  maxOps: 8,
  repeatProbability: 0.2,
  maxRepeat: 3,
  optionalCallProbability: 0.3,
};

const withPaths = (paths: string[]): ServiceSpec => ({ ...sampleSpec().services[1], paths });

describe("usesDataDir", () => {
  it("agrees with the parser on generated paths", () => {
    let positives = 0;
    fc.assert(
      fc.property(fc.string(), arbWeights, arbRemotes, (seed, opWeights, remotes) => {
        const paths = [0, 1, 2].map((k) =>
          print(genPath(stream(seed, "X", `p${k}`), { grammar, remotes, opWeights })),
        );
        const svc = withPaths(paths);
        expect(usesDataDir(svc)).toBe(writesData(svc));
        if (writesData(svc)) positives++;
      }),
      { numRuns: 300 },
    );
    expect(positives).toBeGreaterThan(30); // both outcomes were exercised
    expect(positives).toBeLessThan(270);
  });

  it.each([
    [["disk"], true],
    [["(cpu,io*2)"], true],
    [["{IO,DISK?0.5}"], false],
    [["noop", "AIO,mem"], false],
    [["B", "{net,disk}"], true],
  ])("%j -> %s", (paths, expected) => {
    expect(usesDataDir(withPaths(paths))).toBe(expected);
    expect(writesData(withPaths(paths))).toBe(expected);
  });

  it("decides the data volume: none without data ops", () => {
    expect(dataVolume(withPaths(["cpu,B"]))).toEqual({ type: "none" });
  });
});
