import { parseConfig } from "../../core/config";
import { expandEach } from "../../core/expand";
import { generate } from "../../core/spec";
import { writeSourcesDiff } from "../../cli/commands/diff";
import { diffSystems, isEmptyDiff } from "../../core/diff";
import { formatDiff } from "../../core/diff-format";
import { partRange, renderConfig, writeDocuments } from "../../cli/render-parts";
import { run } from "./run";

/** One thread's output: what `slop render` printed before it rendered on several threads. */
function oneThread(config: ReturnType<typeof parseConfig>, otlpEndpoint?: string): string {
  const out: string[] = [];
  writeDocuments(expandEach(generate(config), { otlpEndpoint }), true, {
    add: (s) => out.push(s),
    flush: () => {},
  });
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

describe("slop diff compares a large system on two threads (issue 13)", () => {
  const saved = process.env.SLOP_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.SLOP_THREADS;
    else process.env.SLOP_THREADS = saved;
  });

  /** What `writeSourcesDiff` writes, as one string, and whether it said the systems are the same. */
  const written = async (
    a: ReturnType<typeof parseConfig>,
    b: ReturnType<typeof parseConfig>,
    format: "text" | "json",
  ): Promise<[string, boolean]> => {
    const pieces: string[] = [];
    const same = await writeSourcesDiff({ config: a }, { config: b }, format, {
      add: (s) => pieces.push(s),
      flush: () => {},
    });
    return [pieces.join(""), same];
  };

  it("writes writeDiff(diffSystems(A, B)) for two seeds, N vs N+1 both ways, a changed namespace, profile and service.json", async () => {
    process.env.SLOP_THREADS = "2";
    const pairs: [Record<string, unknown>, Record<string, unknown>][] = [
      [
        { seed: 1, services: 30 },
        { seed: 2, services: 30, profile: "stress" },
      ],
      [
        { seed: 4, services: 30 },
        { seed: 4, services: 31 },
      ],
      [
        { seed: 4, services: 31 },
        { seed: 4, services: 29 },
      ],
      [
        { seed: 5, services: 20 },
        { seed: 5, services: 20, namespace: "other" },
      ],
      [
        { seed: 6, services: 9 },
        { seed: 6, services: 9 },
      ],
      // Only service.json changes: every Deployment is a rollout and nothing else.
      [
        { seed: 7, services: 30 },
        { seed: 7, services: 30, maxInFlight: 7 },
      ],
      // One service: this thread's part would be empty and the worker's would hold the Namespace.
      [
        { seed: 3, services: 1 },
        { seed: 3, services: 1, namespace: "other" },
      ],
    ];
    for (const [x, y] of pairs) {
      const a = parseConfig(x);
      const b = parseConfig(y);
      const reference = diffSystems(generate(a), generate(b));
      for (const format of ["text", "json"] as const) {
        const [out, same] = await written(a, b, format);
        expect(out).toBe(formatDiff(reference, format));
        expect(same).toBe(isEmptyDiff(reference));
      }
    }
  }, 60_000);

  it("leaves no changed object out when both threads have some", async () => {
    process.env.SLOP_THREADS = "2";
    const a = parseConfig({ seed: 8, services: 40 });
    const b = parseConfig({ seed: 9, services: 40 });
    const reference = diffSystems(generate(a), generate(b));
    const [out] = await written(a, b, "text");
    // Objects of the first services are compared here, of the last ones by the worker.
    const names = reference.resources.changed.map((o) => o.key.split("/").pop());
    expect(names).toContain("svc-a");
    expect(names).toContain("svc-an");
    expect(out.match(/^ {2}~ .+\/.+$/gm)?.length).toBe(reference.resources.changed.length);
    // Each thread finds the rollouts of its own services (a service's ConfigMap and Deployment are
    // in the same part).
    const rollouts = out.match(
      /^ {2}~ apps\/v1\/Deployment\/slop\/(\S+) \(rollout: ConfigMap \1 changed\)$/gm,
    );
    expect(rollouts).toContain("  ~ apps/v1/Deployment/slop/svc-a (rollout: ConfigMap svc-a changed)");
    expect(rollouts).toContain("  ~ apps/v1/Deployment/slop/svc-an (rollout: ConfigMap svc-an changed)");
    expect(rollouts?.length).toBe(
      reference.resources.changed.filter((c) => c.key.startsWith("v1/ConfigMap/")).length,
    );
  }, 60_000);

  it("prints the same text as one thread", async () => {
    const args = ["diff", "1", "2", "--services", "30"];
    process.env.SLOP_THREADS = "2";
    const two = await run(args);
    process.env.SLOP_THREADS = "1";
    const one = await run(args);
    expect(two.code).toBe(1);
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout.length).toBeGreaterThan(10_000);
  }, 60_000);
});
