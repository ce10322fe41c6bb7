/**
 * The labels do not leak. A small seeded `slop incident sweep` and one `slop run --local
 * --incident` run as commands (child processes, so every byte they and their workers print is
 * captured). Then a cheater reads every byte an agent is given, the agent half of each episode
 * (OUT/agent/<episode>, DIR/agent) and the commands' output, and tries to name each episode's kind
 * and root cause from labels alone: the catalogue's kind names, injection words, the fault knobs'
 * names, metadata keys that name an incident or a phase. It must find no label at all, so it can
 * only guess, and its score must be within chance. The same cheater on the grader half names every
 * episode: it does find labels where there are some.
 */
import { spawn } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { isServiceId } from "../../core/ids";
import { CATALOGUE, FAULT_KINDS, generateIncident, incidentJson, type Incident } from "../../core/incidents";
import { generate } from "../../core/spec";
import { chanceBound, grep, guess, labelTerms, type Episode, type LabelHit } from "./cheater";

jest.setTimeout(600_000);

const CLI = join(__dirname, "..", "runtime", "fixtures", "slop-cli.ts");
const SERVICES = 4;
const configOf = (seed: string) => parseConfig({ ...DEFAULT_CONFIG, seed, services: SERVICES });
// Short phases and a small load: labels do not need a long run to show.
const LOAD = ["--phases", "1,1.5,1", "--rps", "10", "--warmup", "0.5", "--workers", "2"];

/** Run the slop CLI from source; stdout and stderr together, as a terminal would show them. */
function slop(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/** One incident of every kind that applies, on the systems of `seeds`. */
function catalogueOn(seeds: readonly string[]): Incident[] {
  return seeds.flatMap((seed) => {
    const spec = generate(configOf(seed));
    return CATALOGUE.filter((def) => def.candidates(spec).length > 0).map((def) =>
      generateIncident(spec, { kind: def.kind, incidentSeed: "0" }),
    );
  });
}

/**
 * The fault knobs by name, from the incidents themselves: every key of a runtime mutation (nested
 * keys too, but not the service ids under `callees`) and every parameter of a runtime kind. The
 * Kubernetes kinds' parameters are object fields (replicas, image, port), which any spec holds.
 * Two-letter keys (`ms`) are no name.
 */
function knobNames(incidents: readonly Incident[]): string[] {
  const names = new Set<string>();
  const walk = (o: unknown): void => {
    if (typeof o !== "object" || o === null) return;
    for (const [k, v] of Object.entries(o)) {
      if (!isServiceId(k) && k.length > 2) names.add(k);
      walk(v);
    }
  };
  for (const inc of incidents) {
    for (const m of inc.local.runtime) walk(m.faults);
    if (inc.fault.layer === "runtime") walk(inc.fault.params);
  }
  return [...names].sort();
}

interface Labelled extends Episode {
  readonly truth: Incident;
  readonly grader: string;
}

/** The hits per place and term, with a count and one example each: what leaked, and where. */
const show = (hits: readonly LabelHit[]): string => {
  const groups = new Map<string, LabelHit[]>();
  for (const h of hits) {
    const key = `${h.where.replace(/logs\/[^/]+\.log$/, "logs/*.log")}: ${h.term}`;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  return [...groups].map(([k, xs]) => `${k} (${xs.length}×), e.g. ${xs[0]?.excerpt ?? ""}`).join("\n");
};

describe("what an agent is given names no fault", () => {
  const root = mkdtempSync(join(tmpdir(), "slop-cheater-"));
  const episodes: Labelled[] = [];
  let output = "";

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    // A sweep of two incidents over two systems: an error rate and a crash (their drawn kinds).
    const out = join(root, "rca");
    const sweep = await slop([
      "incident",
      "sweep",
      "--seeds",
      "3,7",
      "--incidents",
      "2",
      "--services",
      String(SERVICES),
      "--kinds",
      "error-rate,crash",
      ...LOAD,
      "--out",
      out,
    ]);
    expect([sweep.code, sweep.output]).toEqual([0, expect.any(String)]);
    const dataset = JSON.parse(readFileSync(join(out, "grader", "dataset.json"), "utf8")) as {
      incidents: { dir: string; systemSeed: string }[];
    };
    for (const e of dataset.incidents) {
      const grader = join(out, "grader", e.dir);
      const truth = JSON.parse(readFileSync(join(grader, "incident.json"), "utf8")) as Incident;
      const services = generate(configOf(e.systemSeed)).services.map((s) => s.id);
      episodes.push({ name: e.dir, dir: join(out, "agent", e.dir), services, truth, grader });
    }
    // One `slop run --local --incident`, whose own output is richer: a partition of an edge the
    // gateway calls, so that it shows.
    const spec = generate(configOf("7"));
    const gateway = spec.services.find((s) => s.id === spec.gateway);
    const file = join(root, "partition.json");
    const inc = generateIncident(spec, {
      kind: "partition",
      target: `${spec.gateway}->${gateway?.calls[0] ?? ""}`,
      incidentSeed: "11",
    });
    writeFileSync(file, incidentJson(inc));
    const dir = join(root, "single");
    const single = await slop([
      "run",
      "--local",
      "--seed",
      "7",
      "--services",
      String(SERVICES),
      "--incident",
      file,
      ...LOAD,
      "--out",
      dir,
    ]);
    expect(single.code).toBe(0);
    episodes.push({
      name: "single",
      dir: join(dir, "agent"),
      services: spec.services.map((s) => s.id),
      truth: inc,
      grader: join(dir, "grader"),
    });
    output = sweep.output + single.output;
  });

  it("each episode's agent half holds telemetry: traces, a log per service, the load summary, the spec", () => {
    expect(episodes).toHaveLength(3);
    for (const ep of episodes) {
      const files = readdirSync(ep.dir);
      expect([ep.name, files]).toEqual([
        ep.name,
        expect.arrayContaining(["traces.jsonl", "logs", "load.json", "spec.json"]),
      ]);
      expect(readFileSync(join(ep.dir, "traces.jsonl"), "utf8").length).toBeGreaterThan(1000);
      expect(readdirSync(join(ep.dir, "logs"))).toHaveLength(SERVICES);
      const load = JSON.parse(readFileSync(join(ep.dir, "load.json"), "utf8")) as { sent: number };
      expect(load.sent).toBeGreaterThan(0);
      // The labels are all on the grader side.
      for (const f of ["incident.json", "ground-truth.json", "report.html", "summary.csv"]) {
        expect([ep.name, f, existsSync(join(ep.grader, f))]).toEqual([ep.name, f, true]);
      }
    }
  });

  it("the cheater finds no label in the agent halves or the commands' output, and scores at chance", () => {
    const catalogue = catalogueOn(["3", "7"]);
    const terms = labelTerms(knobNames(catalogue));
    // What the cheater guesses among: the kinds that play locally (a sweep holds no other).
    const kinds = [
      ...new Set(catalogue.filter((i) => i.local.mode !== "cluster-only").map((i) => i.fault.kind)),
    ];
    const guesses = episodes.map((ep) => guess(ep, output, terms, kinds, "cheater"));
    const hits = [
      ...guesses.flatMap((g, i) => g.hits.map((h) => ({ ...h, where: `${episodes[i]?.name}/${h.where}` }))),
      ...grep(output, "<command output>", terms),
    ];
    expect(show(hits)).toBe("");
    expect(guesses.map((g) => g.fromLabels)).toEqual(episodes.map(() => false));
    const right = guesses.filter(
      (g, i) =>
        g.kind === episodes[i]?.truth.fault.kind &&
        g.rootCause === episodes[i]?.truth.groundTruth.rootCause.service,
    ).length;
    // Chance: a uniform guess of the kind and of the service.
    expect(right).toBeLessThan(chanceBound(episodes.length, 1 / (kinds.length * SERVICES), 0.001));
  });

  it("positive control: on the grader halves the same cheater names every episode's kind and root cause", () => {
    const terms = labelTerms(knobNames(catalogueOn(["3", "7"])));
    for (const ep of episodes) {
      const g = guess({ ...ep, dir: ep.grader }, "", terms, FAULT_KINDS, "cheater");
      expect([ep.name, g.kind, g.rootCause]).toEqual([
        ep.name,
        ep.truth.fault.kind,
        ep.truth.groundTruth.rootCause.service,
      ]);
    }
  });
});
