/**
 * Faults look like themselves: a classifier over the telemetry alone (eval/diagnose.ts, what the
 * heuristic agent uses: traces, pods, logs) tells apart kinds whose real symptoms differ. Each kind
 * is injected into one running local system under background load through the tool layer
 * (LocalBackend), classified from what the tools return, then rolled back.
 *
 * npm test runs the kinds that used to play the same locally: a wrong target port (connection
 * refused at the callers), a selector that matches nothing (no endpoints), an error rate with
 * status UNAVAILABLE (the service answers, with an error), CPU saturation (every cpu op slower) and
 * CPU throttling (stalls in CFS periods). SLOP_INCIDENT_E2E=1 runs every kind that plays locally;
 * SLOP_CLASSIFY_KINDS=a,b the kinds named, SLOP_CLASSIFY_SEED another system (seed 42's edges carry
 * little traffic; seed 72's carry more: the edge kinds show there).
 * No two kinds are taken as one: a partition (the call is sent and nothing answers) and a
 * NetworkPolicy drop (the caller's new connections are dropped: the call waits for a connection)
 * differ in grpc-js's words for the deadline; link-flapping (every call lost in the down windows)
 * and packet-loss (calls lost at random) in how the failures cluster in time; a retry storm shows
 * as calls with several attempts at the callee (and the test checks that every call on its edge
 * fails after maxAttempts tries). The edge kinds, on a system whose edges carry traffic:
 *   SLOP_CLASSIFY_SEED=72 SLOP_CLASSIFY_KINDS=partition,network-policy-block,link-flapping,\
 *     packet-loss,one-way-loss,retry-storm npx jest tests/eval/classifier.test.ts
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { CATALOGUE, generateIncident, type FaultKind, type Incident } from "../../core/incidents";
import { generate } from "../../core/spec";
import { grpcTarget } from "../../loadgen/client";
import { runLoad } from "../../loadgen/generator";
import { startSystem, type LocalSystemUnderTest } from "../../local/run";
import type { SpanView } from "../../eval/backend";
import { diagnose } from "../../eval/diagnose";
import { LocalBackend } from "../../eval/local-backend";

jest.setTimeout(600_000);

const ALL = process.env.SLOP_INCIDENT_E2E === "1";
const ONLY = process.env.SLOP_CLASSIFY_KINDS;
const KINDS: readonly FaultKind[] = ONLY
  ? (ONLY.split(",") as FaultKind[])
  : ALL
    ? CATALOGUE.filter(
        (d) =>
          d.local({ type: "service", service: "A" }, {}, {} as never, { services: [] } as never).mode !==
          "cluster-only",
      ).map((d) => d.kind)
    : ["wrong-target-port", "selector-mismatch", "error-rate", "cpu-saturation", "cpu-throttling"];
// A short request timeout, so that a call that waits out its deadline shows within seconds.
const SEED = process.env.SLOP_CLASSIFY_SEED ?? "42";
const config = parseConfig({ ...DEFAULT_CONFIG, seed: SEED, services: 6, requestTimeoutMs: 2500 });
const spec = generate(config);
const names = Object.fromEntries(spec.services.map((s) => [s.id, s.name]));

/**
 * The first incident of `kind` (of 200 incident seeds) whose target at least 15% of the gateway's
 * requests reach, else the one they reach most if at least 8% (an edge carries few); for
 * error-rate, one with status UNAVAILABLE and a rate of 0.5 or more.
 */
function incidentOf(kind: FaultKind): Incident | null {
  let best: Incident | null = null;
  for (let k = 0; k < 200; k++) {
    let inc: Incident;
    try {
      inc = generateIncident(spec, { kind, incidentSeed: String(k) });
    } catch {
      return null;
    }
    if (
      kind === "error-rate" &&
      (inc.fault.params.errorCode !== 14 || Number(inc.fault.params.errorRate) < 0.5)
    )
      continue;
    if (inc.groundTruth.share >= 0.15) return inc;
    if (best === null || inc.groundTruth.share > best.groundTruth.share) best = inc;
  }
  return best !== null && best.groundTruth.share >= 0.08 ? best : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a classifier over the telemetry tells kinds with different symptoms apart", () => {
  const dir = mkdtempSync(join(tmpdir(), "slop-classify-"));
  const incidents = new Map(KINDS.map((k) => [k, incidentOf(k)]));
  let sut: LocalSystemUnderTest;
  let backend: LocalBackend;
  const stop = new AbortController();
  let load: Promise<unknown>;
  let reference: SpanView[] = [];
  const verdicts: string[] = [];

  beforeAll(async () => {
    const isolate = [...incidents.values()]
      .filter((i): i is Incident => i !== null && ["cpu-saturation", "cpu-throttling"].includes(i.fault.kind))
      .map((i) => i.groundTruth.rootCause.service);
    // Op spans on, as slop eval runs its episodes (eval/episode.ts): the cpu and disk kinds show in them.
    sut = await startSystem(spec, dir, { workers: 2, verbose: false, isolate, opSpans: true });
    backend = new LocalBackend({
      spec,
      sut,
      traceFile: join(dir, "traces.jsonl"),
      logDir: join(dir, "logs"),
    });
    const target = grpcTarget(sut.address);
    load = runLoad(target, {
      rate: 15,
      arrival: "uniform",
      seed: "x",
      durationMs: 3_600_000,
      baselineRequests: 0,
      deadlineMs: 2500,
      signal: stop.signal,
    }).finally(() => target.close());
    await sleep(4000);
    reference = backend.traces({ limit: 100_000, order: "oldest" });
  });

  afterAll(async () => {
    stop.abort();
    await load;
    await sut?.stop();
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`classified (truth -> verdict):\n${verdicts.join("\n")}\n`);
  });

  // Kinds with no target the routes reach often enough in this system (seed 42's edges carry at
  // most 2% of the requests) cannot be shown here: listed, not run.
  const visible = KINDS.filter((k) => incidents.get(k) !== null);
  const absent = KINDS.filter((k) => incidents.get(k) === null);
  if (absent.length > 0) process.stderr.write(`no visible target in this system: ${absent.join(", ")}\n`);
  if (!ALL && ONLY === undefined)
    it("the default kinds all have a visible target here", () => expect(absent).toEqual([]));

  it.each(visible.map((k) => [k]))("%s", async (kind) => {
    const inc = incidents.get(kind) as Incident;
    await backend.inject(inc);
    // Long enough for a fault that comes and goes to come and go (periods of 2-6 s).
    await sleep(9000);
    const look = async (sinceS: number) => {
      const recent = backend.traces({ sinceS, limit: 100_000 });
      const pods = await backend.pods();
      // The pod in trouble now: one not running, else the one that died last (restart counts stay).
      const sick = pods
        .filter((p) => p.status !== "Running" || (p.lastTerminationS !== null && p.restarts > 0))
        .sort(
          (a, b) =>
            Number(b.status !== "Running") - Number(a.status !== "Running") ||
            (a.lastTerminationS ?? Infinity) - (b.lastTerminationS ?? Infinity),
        )[0];
      const logs = sick === undefined ? [] : backend.logs({ service: sick.name, level: "error", limit: 20 });
      const d = diagnose({
        recent,
        reference,
        pods,
        logs,
        gateway: names[spec.gateway] as string,
        calleeName: (id) => names[id] ?? id,
      });
      return { recent, d };
    };
    let { recent, d } = await look(8);
    // Partial loss on an edge: whether it comes in bursts or at random takes more calls than one
    // edge carries in seconds, so look longer (as an engineer would; decided from the verdict, not
    // from the truth).
    if (d.kind === "packet-loss" || d.kind === "link-flapping") {
      await sleep(7000);
      ({ recent, d } = await look(15));
    }
    const at = names[inc.groundTruth.rootCause.service] as string;
    // A retry storm's own symptom: every call on the edge fails, and the callee serves each one
    // `attempts` times (a server span per attempt under the caller's one client span).
    let storm: { calls: number; failed: number; attempts: number[] } | null = null;
    if (kind === "retry-storm" && inc.fault.target.type === "edge") {
      const { caller, callee } = inc.fault.target;
      // (A call that began before the window may have attempts out of view: hence 80%, not all.)
      const onEdge = recent.filter(
        (s) => s.kind === "client" && s.service === names[caller] && s.callee === callee,
      );
      const tries = (c: SpanView) =>
        recent.filter((k) => k.parentSpanId === c.spanId && k.kind === "server").length;
      storm = {
        calls: onEdge.length,
        failed: onEdge.filter((c) => c.status === "DEADLINE_EXCEEDED").length,
        attempts: onEdge.map(tries),
      };
      verdicts.push(
        `retry-storm: ${storm.failed}/${storm.calls} calls on the edge failed; attempts per call (want ${String(inc.fault.params.maxAttempts)}): median ${[...storm.attempts].sort((a, b) => a - b)[Math.floor(storm.attempts.length / 2)]}`,
      );
    }
    verdicts.push(`${kind} at ${at} -> ${String(d.kind)} at ${String(d.suspects[0])} (${d.evidence})`);
    // Every service the incident changed (a retry storm changes the caller and the callee).
    for (const id of new Set([inc.groundTruth.rootCause.service, ...inc.local.runtime.map((r) => r.service)]))
      await backend.rollback(id);
    // Recovered before the next kind: every pod ready again, and a quiet moment.
    for (let t = 0; t < 50 && !(await backend.pods()).every((p) => p.ready); t++) await sleep(200);
    await sleep(2500);
    expect([kind, d.kind]).toEqual([kind, kind]);
    if (storm !== null) {
      expect(storm.calls).toBeGreaterThanOrEqual(10);
      expect(storm.failed / storm.calls).toBeGreaterThanOrEqual(0.9);
      const full = storm.attempts.filter((n) => n === Number(inc.fault.params.maxAttempts)).length;
      expect(full / storm.calls).toBeGreaterThanOrEqual(0.8);
    }
  });
});
