/**
 * The ground truth holds on a running system: for each request-path fault kind (the runtime kinds
 * other than the lifecycle ones, which local-lifecycle.test.ts checks, and the Kubernetes kinds
 * emulated by them: wrong-target-port, selector-mismatch and replicas-zero play as UNAVAILABLE at
 * their callers, network-policy-block as dropped new connections, cpu-throttling as a CFS quota), and the gray
 * kinds (packet-loss, one-way-loss, flapping, link-flapping, slow-memory-leak, retry-storm), on small
 * systems of several seeds, the routes predicted symptomatic show the symptom and the others do not.
 *
 * Method. Per route, N = 20 requests with path_index set (deadline 1.5 s; disk scratch on tmpfs),
 * interleaved over the routes, at most CONCURRENCY = 2 in flight. The low concurrency matters: with
 * 20 in flight (the first version) the 6-service system was saturated by the probe itself, so the
 * baseline already timed out on slow routes (seed 7's route {E*3,B}: p50 950 ms, every request over
 * the deadline under load) and an added delay upstream of a saturated service did not show at all
 * (a closed loop: the delay only shortens the queue behind it). That, not the ground truth or the
 * fault knobs, is why cpu-saturation, slow-disk and hang failed on seed 7.
 *
 * A request is symptomatic when it returns the kind's own status code, or for latency kinds
 * (status null) when it fails or is slower than the route's baseline p95 plus half the delay one hit
 * adds. Observed share = symptomatic share in the fault phase minus the same share at baseline
 * (for latency kinds, a baseline probed just before the fault: the load of a shared machine drifts).
 * Thresholds (tests/incidents/symptom-stats.ts), per route with predicted share s:
 *   - s = 0: observed at most 0.2 (hard);
 *   - s >= 0.5: observed at least 0.3 (hard);
 *   - the route agrees when |observed - s| <= 3 sigma + 0.15, sigma = sqrt(s(1-s)/N);
 * and per kind and seed at least 75% of the routes agree. The agreement per kind is printed at the
 * end. Opt-in (SLOP_INCIDENT_E2E=1): about 4 minutes, and meaningful only on an idle machine;
 * SLOP_INCIDENT_SEEDS and SLOP_INCIDENT_KINDS (comma-separated) narrow it.
 */
import { existsSync, mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { faultsByService, generateIncident, type FaultKind, type Incident } from "../../core/incidents";
import { NO_FAULTS } from "../../core/runtime-config";
import { generate } from "../../core/spec";
import type { SystemSpec } from "../../core/types";
import { probeRoutes, type RouteSample } from "../../local/probe";
import { startLocalSystem, type LocalSystem } from "../../local/system";
import { AccuracyTally, judgeRoutes, MIN_AGREEMENT } from "./symptom-stats";

jest.setTimeout(300_000);

const N = 20;
const DEADLINE_MS = 1500;
const CONCURRENCY = 2;
const ALL_KINDS: readonly FaultKind[] = [
  "error-rate",
  "latency",
  "cpu-saturation",
  "hang",
  "callee-deadline",
  "inflight-exhausted",
  "partition",
  "slow-disk",
  "wrong-target-port",
  "selector-mismatch",
  "replicas-zero",
  "network-policy-block",
  "cpu-throttling",
  "packet-loss",
  "one-way-loss",
  "flapping",
  "link-flapping",
  "slow-memory-leak",
  "retry-storm",
];
/** SLOP_INCIDENT_KINDS=a,b: only these. */
const KINDS = ALL_KINDS.filter(
  (k) =>
    process.env.SLOP_INCIDENT_KINDS === undefined || process.env.SLOP_INCIDENT_KINDS.split(",").includes(k),
);
/** How long a gradual kind runs before it is probed, and the delay it has built up by then. */
const BUILD_UP_S = 8;
/** Kinds whose target gets a worker of its own, as in `slop run --local --incident`. */
const CPU_KINDS: readonly FaultKind[] = ["cpu-saturation", "cpu-throttling"];

function p95(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] ?? 0;
}

function addedDelay(spec: SystemSpec, inc: Incident): number {
  const p = inc.fault.params;
  const svc = spec.services.find((s) => s.id === inc.groundTruth.rootCause.service);
  switch (inc.fault.kind) {
    case "latency":
      return Number(p.latencyMs);
    case "slow-disk":
      return Number(p.ioDelayMs);
    case "cpu-saturation":
      return (Number(p.cpuFactor) - 1) * (svc?.opCosts.cpuMs ?? 0);
    case "cpu-throttling":
      // 1 ms of CPU per 100 ms period: an op waits for the next period, half a period on average.
      return 50;
    case "slow-memory-leak":
      return BUILD_UP_S * Number(p.mibPerSec) * Number(p.pauseMsPerMiB);
    default:
      return 0;
  }
}

const tally = new AccuracyTally();
afterAll(() => tally.print("symptom prediction per kind"));

const e2e = process.env.SLOP_INCIDENT_E2E === "1" ? describe.each : describe.skip.each;

e2e((process.env.SLOP_INCIDENT_SEEDS ?? "42,7,3").split(","))("seed %s, 6 services", (seed) => {
  const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed, services: 6 }));
  const routes = spec.services[0].paths.map((_, i) => i);
  let sys: LocalSystem;
  let baseline: RouteSample[];
  beforeAll(async () => {
    // fsync on a shared disk takes 100s of ms; the scratch dirs go to tmpfs where there is one.
    if (existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";
    // The CPU faults' targets get a worker of their own, as they would get their own pods.
    const isolate = CPU_KINDS.flatMap((kind) => {
      try {
        return [generateIncident(spec, { incidentSeed: seed, kind }).groundTruth.rootCause.service];
      } catch {
        return []; // no service with a cpu op that costs something
      }
    });
    sys = await startLocalSystem(spec, {
      dir: mkdtempSync(join(tmpdir(), "slop-incident-")),
      workers: 2,
      isolate,
    });
    await probeRoutes(sys.gateway.address, routes, { perRoute: 5, deadlineMs: DEADLINE_MS }); // warm-up
    baseline = await probeRoutes(sys.gateway.address, routes, {
      perRoute: N,
      deadlineMs: DEADLINE_MS,
      concurrency: CONCURRENCY,
    });
  });
  afterAll(() => sys?.stop());

  it("mostly succeeds at baseline (the shared machine may time some requests out)", () => {
    for (const r of baseline) expect(r.codes.filter((c) => c !== 0).length / N).toBeLessThanOrEqual(0.25);
  });

  it.each(KINDS.map((k) => [k]))("%s: symptomatic routes as predicted", async (kind) => {
    let inc: Incident;
    try {
      inc = generateIncident(spec, { incidentSeed: seed, kind });
    } catch {
      return; // the kind has no target in this system (e.g. no disk op)
    }
    const delay = addedDelay(spec, inc);
    const latencyKind = inc.groundTruth.statusCode === null;
    if (latencyKind && delay < 20) return; // too small to tell from noise on a shared machine
    // A latency kind is judged against a baseline measured just before it: the machine's load
    // drifts over the minutes a seed takes, and a p95 from a busy moment hides an added delay.
    const before = latencyKind
      ? await probeRoutes(sys.gateway.address, routes, {
          perRoute: N,
          deadlineMs: DEADLINE_MS,
          concurrency: CONCURRENCY,
        })
      : baseline;
    const faults = faultsByService(inc.local.runtime, NO_FAULTS);
    for (const [id, f] of Object.entries(faults)) sys.setFaults(id, f);
    if (kind === "slow-memory-leak") await new Promise((r) => setTimeout(r, BUILD_UP_S * 1000));
    let samples: RouteSample[];
    try {
      if (kind === "flapping" || kind === "link-flapping") {
        // A fault in time: probe in ten batches spread over several of its periods, not in one
        // (a few long batches can all fall in the up part of the period).
        const batches: RouteSample[][] = [];
        for (let b = 0; b < 10; b++) {
          batches.push(
            await probeRoutes(sys.gateway.address, routes, {
              perRoute: N / 10,
              deadlineMs: DEADLINE_MS,
              concurrency: CONCURRENCY,
            }),
          );
          await new Promise((r) => setTimeout(r, 0.37 * Number(inc.fault.params.periodMs)));
        }
        samples = routes.map((route) => ({
          route,
          codes: batches.flatMap((x) => x[route]?.codes ?? []),
          latencies: batches.flatMap((x) => x[route]?.latencies ?? []),
        }));
      } else {
        samples = await probeRoutes(sys.gateway.address, routes, {
          perRoute: N,
          deadlineMs: DEADLINE_MS,
          concurrency: CONCURRENCY,
        });
      }
    } finally {
      for (const id of Object.keys(faults)) sys.setFaults(id, NO_FAULTS);
    }
    // Symptomatic: the kind's own status code (or, for latency kinds, any failure or a slow answer),
    // counted above what the same route showed at baseline.
    const code = inc.groundTruth.statusCode;
    const sickShare = (r: RouteSample, base: number): number =>
      r.codes.filter((c, i) => (code === null ? c !== 0 || r.latencies[i] > base + delay / 2 : c === code))
        .length / r.codes.length;
    const v = judgeRoutes(
      samples.map((r) => {
        const base = p95(before[r.route].latencies);
        return {
          route: r.route,
          share: inc.groundTruth.routes[r.route].share,
          observed: Math.max(0, sickShare(r, base) - sickShare(before[r.route], base)),
          n: r.codes.length,
        };
      }),
    );
    // Tallied before asserting, so the printed accuracy counts the failing routes too.
    tally.add(kind, v);
    process.stderr.write(`seed ${seed} ${kind} (predicted/observed per route): ${v.text}\n`);
    expect(v.hard).toEqual([]);
    expect(v.agree / v.routes).toBeGreaterThanOrEqual(MIN_AGREEMENT);
  });
});
