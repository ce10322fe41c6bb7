import { parseConfig } from "../../core/config";
import { expandEach } from "../../core/expand";
import { generate } from "../../core/spec";
import { diffSpecs } from "../../cli/commands/diff";
import { partRange, renderConfig, writeDocuments } from "../../cli/render-parts";
import { run } from "./run";

/** One thread's output: what `slop render` printed before it rendered on several threads. */
function oneThread(config: ReturnType<typeof parseConfig>, otlpEndpoint?: string): string {
  const out: string[] = [];
  writeDocuments(expandEach(generate(config), { otlpEndpoint }), true, (c) => out.push(c));
  return out.join("");
}

async function threaded(
  config: ReturnType<typeof parseConfig>,
  threads: number,
  otlpEndpoint?: string,
): Promise<{ text: string }> {
  const out: Buffer[] = [];
  await renderConfig(config, { otlpEndpoint }, threads, (c) => out.push(Buffer.from(c)));
  return { text: Buffer.concat(out).toString("utf8") };
}

describe("partRange", () => {
  it.each([1, 2, 3, 10, 2_001])("splits %i services into contiguous parts covering all of them", (n) => {
    for (const parts of [1, 2, 3, 4]) {
      let next = 0;
      for (let p = 0; p < parts; p++) {
        const [from, to] = partRange(n, p, parts);
        if (p > 0) expect(from).toBeGreaterThan(0); // only part 0 has the Namespace
        if (from < to) {
          expect(from).toBe(next);
          next = to;
        }
      }
      expect(next).toBe(n);
    }
  });
});

describe("slop render on several threads (issue 13)", () => {
  it("prints byte-for-byte what one thread prints, for 1 and 3 threads", async () => {
    const config = parseConfig({ seed: 11, services: 40 });
    const expected = oneThread(config);
    expect(expected.split("\n---\n")).toHaveLength(expand40Count(config));
    for (const threads of [1, 3]) expect((await threaded(config, threads)).text).toBe(expected);
  }, 60_000);

  it("passes the config and the expand options to the workers (profile, namespace, OTLP endpoint)", async () => {
    const config = parseConfig({ seed: "x", services: 12, profile: "stress", namespace: "other" });
    const url = "http://collector.obs:4317";
    const expected = oneThread(config, url);
    expect(expected).toContain(url);
    expect((await threaded(config, 2, url)).text).toBe(expected);
  }, 60_000);

  it("with as many threads as services, each part is still printed once", async () => {
    const config = parseConfig({ seed: 5, services: 1 });
    expect((await threaded(config, 2)).text).toBe(oneThread(config));
  }, 60_000);
});

function expand40Count(config: ReturnType<typeof parseConfig>): number {
  return [...expandEach(generate(config))].length;
}

describe("slop diff generates its two systems on two threads (issue 13)", () => {
  const saved = process.env.SLOP_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.SLOP_THREADS;
    else process.env.SLOP_THREADS = saved;
  });

  it("B generated on a worker is the spec generate() makes here, and the diff output is the same", async () => {
    const a = parseConfig({ seed: 1, services: 30 });
    const b = parseConfig({ seed: 2, services: 30, profile: "stress" });
    process.env.SLOP_THREADS = "2";
    const [specA, specB] = await diffSpecs({ config: a }, { config: b });
    // A posted object belongs to Node's realm, not jest's sandbox: compare values, not prototypes.
    expect(JSON.stringify(specA)).toBe(JSON.stringify(generate(a)));
    expect(JSON.stringify(specB)).toBe(JSON.stringify(generate(b)));
    expect(specB).toEqual(generate(b));
    const args = ["diff", "1", "2", "--services", "30", "--format", "json"];
    const two = await run(args);
    process.env.SLOP_THREADS = "1";
    const one = await run(args);
    expect(two.code).toBe(1);
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout.length).toBeGreaterThan(10_000);
  }, 60_000);
});
