/**
 * The published Dockerfile runs a supported Node.js line: both stages on the same `node:<major>-slim`,
 * an LTS (even) major whose support has not ended. Node 20's ended in April 2026.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { IMAGE_NODE_VERSION } from "../../testkit/cluster/runtime-image";

const dockerfile = readFileSync(join(__dirname, "..", "..", "Dockerfile"), "utf8");
const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);

/** LTS lines whose support has ended (nodejs.org release schedule). */
const ENDED = [14, 16, 18, 20];

it("builds and runs on one supported Node LTS image", () => {
  expect(bases.length).toBeGreaterThanOrEqual(2);
  const majors = bases.map((b) => /^node:(\d+)-slim$/.exec(b)?.[1]).map(Number);
  expect(new Set(majors).size).toBe(1);
  const [major] = majors;
  expect(major % 2).toBe(0);
  expect(major).toBeGreaterThan(Math.max(...ENDED));
});

it("the image the test cluster builds (testkit/cluster/runtime-image.ts) runs the Dockerfile's Node.js line", () => {
  expect(IMAGE_NODE_VERSION.split(".")[0]).toBe(/^node:(\d+)-slim$/.exec(bases[0] ?? "")?.[1]);
});
