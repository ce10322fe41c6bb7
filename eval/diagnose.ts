/**
 * A diagnosis from telemetry alone, as an on-call engineer would make it, with no label to read:
 * error attribution over the trace graph (where does a failure start: a server span that failed
 * with no failed child, a call that never reached its callee, or an answer that never came back),
 * latency attribution (which service's own time grew against the oldest window, and in what
 * shape: every cpu op slower, or stalls in steps; flat, or growing), and the pods and their logs.
 * Pure: the heuristic agent feeds it what its tools return; the classifier tests use it directly.
 */
import type { FaultKind } from "../core/incidents";
import type { LogLine, PodView, SpanView } from "./backend";

export interface Diagnosis {
  readonly detected: boolean;
  /** Suspects, most likely first: Kubernetes names of services. */
  readonly suspects: readonly string[];
  readonly kind: FaultKind | null;
  /** What the diagnosis rests on, for a person reading the trajectory. */
  readonly evidence: string;
}

export interface Origin {
  readonly service: string;
  readonly code: string;
  readonly message: string;
  /**
   * "server": the service failed on its own; "call": a call that reached no server; "reply": the
   * callee served the call (or was cut off by the caller's deadline) but the caller got no answer.
   */
  readonly at: "server" | "call" | "reply";
  readonly durationMs: number;
  readonly startMs: number;
  /** The callee of a failed call (a name). */
  readonly callee: string | null;
  /** For a server span: the service that called it (null at the gateway). */
  readonly caller: string | null;
}

const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor(s.length / 2)] as number);
};

function childrenOf(spans: readonly SpanView[]): Map<string, SpanView[]> {
  const m = new Map<string, SpanView[]>();
  for (const s of spans) m.set(s.parentSpanId, [...(m.get(s.parentSpanId) ?? []), s]);
  return m;
}

/** Where each failure in these spans starts. */
export function errorOrigins(spans: readonly SpanView[], calleeName: (id: string) => string): Origin[] {
  const children = childrenOf(spans);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  // A call that started before the first span of the window ended may have a callee span that
  // ended before the window: no child in view says nothing about it.
  const windowStart = Math.min(...spans.map((s) => s.startMs + s.durationMs));
  const out: Origin[] = [];
  for (const s of spans) {
    // A cancellation is a caller giving up: never where a failure starts.
    if (s.status === "OK" || s.status === "CANCELLED") continue;
    const kids = children.get(s.spanId) ?? [];
    const base = {
      service: s.service,
      code: s.status,
      message: s.message,
      durationMs: s.durationMs,
      startMs: s.startMs,
    };
    // Time spent in the span's own ops (internal children) or, for a call, serving it.
    const busy = (ks: readonly SpanView[]) => ks.reduce((a, k) => a + k.durationMs, 0);
    if (s.kind === "server" && !kids.some((k) => k.status !== "OK")) {
      // A deadline met while the service's own ops ran is slowness (the latency analysis says
      // whose and how), not a failure of its own.
      const ops = kids.filter((k) => k.kind === "internal");
      if (s.status === "DEADLINE_EXCEEDED" && busy(ops) >= 0.5 * s.durationMs) continue;
      out.push({ ...base, at: "server", callee: null, caller: byId.get(s.parentSpanId)?.service ?? null });
    } else if (s.kind === "client" && s.callee !== null) {
      const callee = calleeName(s.callee);
      if (kids.length === 0) {
        if (s.startMs >= windowStart) out.push({ ...base, at: "call", callee, caller: null });
      } else if (s.status === "DEADLINE_EXCEEDED" && kids.every((k) => k.status === "OK")) {
        // The callee served the call in a moment, and the answer never came: lost on the way
        // back. A callee that served it all along was slow (as above).
        if (busy(kids) < 0.5 * s.durationMs) out.push({ ...base, at: "reply", callee, caller: null });
      }
    }
  }
  return out;
}

/** Per service, the time of each OK server span not spent waiting on its calls, in ms, in start order. */
export function selfTimeSeries(spans: readonly SpanView[]): Map<string, number[]> {
  const calls = new Map<string, SpanView[]>();
  for (const s of spans)
    if (s.kind === "client") calls.set(s.parentSpanId, [...(calls.get(s.parentSpanId) ?? []), s]);
  const per = new Map<string, [number, number][]>();
  for (const s of spans) {
    if (s.kind !== "server" || s.status !== "OK") continue;
    // The union of the calls' intervals: parallel calls overlap.
    const iv = (calls.get(s.spanId) ?? [])
      .map((c) => [c.startMs, c.startMs + c.durationMs] as const)
      .sort((a, b) => a[0] - b[0]);
    let waited = 0;
    let end = -Infinity;
    for (const [a, b] of iv) {
      if (b <= end) continue;
      waited += b - Math.max(a, end);
      end = b;
    }
    per.set(s.service, [...(per.get(s.service) ?? []), [s.startMs, s.durationMs - waited]]);
  }
  return new Map([...per].map(([k, v]) => [k, v.sort((a, b) => a[0] - b[0]).map((x) => x[1])]));
}

/** Per service, the mean of its own time (a mean: a fault may slow only the requests that run one op). */
export function selfTimes(spans: readonly SpanView[]): Map<string, number> {
  return new Map([...selfTimeSeries(spans)].map(([k, v]) => [k, mean(v)]));
}

/** The time the service's ops named `names` took, per server span of the service. */
function perRequest(spans: readonly SpanView[], service: string, names: readonly string[]): number {
  const mine = spans.filter((s) => s.service === service);
  const served = mine.filter((s) => s.kind === "server").length;
  const ops = mine.filter((s) => s.kind === "internal" && names.includes(s.name));
  return served === 0 ? 0 : ops.reduce((a, s) => a + s.durationMs, 0) / served;
}

/** A deadline met sooner than this was set far too low (a hang holds a request for its whole deadline). */
const SHORT_MS = 50;

/** The kernel's default CFS period (cpu.cfs_period_us 100000). */
const CFS_PERIOD_MS = 100;

/**
 * How closely these moments keep one phase of a period: the length of the mean of the unit
 * vectors at angle 2 pi t / period (1: all at the same phase; about 1 / sqrt(n) at random).
 */
export function phaseConcentration(times: readonly number[], periodMs: number): number {
  if (times.length === 0) return 0;
  let x = 0;
  let y = 0;
  for (const t of times) {
    const a = (2 * Math.PI * (t % periodMs)) / periodMs;
    x += Math.cos(a);
    y += Math.sin(a);
  }
  return Math.hypot(x, y) / times.length;
}

function rank(counts: ReadonlyMap<string, number>): string[] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
}

function countBy(xs: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/**
 * Failures that come in bursts rather than at random: over the service's server spans in start
 * order from its first failure on (before it, the window may hold the calm before the onset, one
 * long run that any fault would show), fewer runs of failing and succeeding calls than independent
 * failures would make (Wald-Wolfowitz runs test, one-sided at 1%).
 */
export function bursty(spans: readonly SpanView[], service: string): boolean {
  return burstySeq(spans.filter((s) => s.service === service && s.kind === "server"));
}

/** As bursty, over these spans (e.g. the calls on one edge). */
function burstySeq(spans: readonly SpanView[]): boolean {
  const all = [...spans].sort((a, b) => a.startMs - b.startMs).map((s) => s.status !== "OK");
  const seq = all.slice(Math.max(0, all.indexOf(true)));
  const n = seq.length;
  const n1 = seq.filter(Boolean).length;
  const n2 = n - n1;
  if (n < 10 || n1 < 2 || n2 < 2) return false;
  let runs = 1;
  for (let i = 1; i < n; i++) if (seq[i] !== seq[i - 1]) runs++;
  const mu = (2 * n1 * n2) / n + 1;
  const variance = (2 * n1 * n2 * (2 * n1 * n2 - n)) / (n * n * (n - 1));
  return (runs - mu) / Math.sqrt(variance) < -2.33;
}

export interface DiagnoseInput {
  /** The recent window and the oldest one (what normal looked like). */
  readonly recent: readonly SpanView[];
  readonly reference: readonly SpanView[];
  readonly pods: readonly PodView[];
  /** Recent error lines of the pods in trouble, when the agent read them. */
  readonly logs?: readonly LogLine[];
  readonly gateway: string;
  /** A callee id as the spans give it -> its name. */
  readonly calleeName: (id: string) => string;
}

/** The kind of a pod in trouble: from its status, its restarts, its last termination and its logs. */
function podKind(p: PodView, logs: readonly LogLine[]): FaultKind {
  const mine = logs.filter((l) => l.service === p.name).map((l) => l.line);
  if (p.status === "Stopped") return "replicas-zero";
  if (mine.some((l) => l.includes("service.json"))) return "broken-config";
  if (mine.some((l) => l.includes("initialisation failed"))) return "startup-failure";
  if ((p.lastTermination ?? "").startsWith("OOMKilled"))
    return p.restarts >= 2 ? "memory-limit-too-low" : "memory-leak";
  if (p.restarts >= 2 || p.status === "CrashLoopBackOff") return "crash-loop";
  return "crash";
}

/** What the windows show before any blame: is something wrong, and which of the signals say so. */
interface Symptoms {
  readonly detected: boolean;
  /** Pods that died, do not run or are not wanted, within the recent window. */
  readonly troubled: readonly PodView[];
  /** Running pods that miss their readiness probes. */
  readonly unready: readonly string[];
  /** More gateway failures than before, and more than a busy host's odd timeout. */
  readonly erring: boolean;
  /** Each service's own time now minus before (ms). */
  readonly growth: ReadonlyMap<string, number>;
  /** Services at least 2.5 times and 40 ms slower in their own time than they were. */
  readonly grown: number;
}

function symptoms(i: DiagnoseInput): Symptoms {
  const gw = (xs: readonly SpanView[]) => xs.filter((s) => s.service === i.gateway && s.kind === "server");
  const errShare = (xs: readonly SpanView[]) => {
    const g = gw(xs);
    return g.length === 0 ? 0 : g.filter((s) => s.status !== "OK").length / g.length;
  };
  const gwMs = (xs: readonly SpanView[]) =>
    mean(
      gw(xs)
        .filter((s) => s.status === "OK")
        .map((s) => s.durationMs),
    );
  // Pods that died, do not run or are not wanted; a running pod that misses its probes is a hint.
  // A pod that died before the window the recent spans cover is history (its restart count
  // stays, as a kubelet's does), not the trouble now.
  let first = Infinity;
  let last = -Infinity;
  for (const s of i.recent) {
    first = Math.min(first, s.startMs);
    last = Math.max(last, s.startMs + s.durationMs);
  }
  const windowS = i.recent.length === 0 ? Infinity : (last - first) / 1000 + 2;
  const troubled = i.pods.filter(
    (p) =>
      p.status !== "Running" ||
      (p.lastTerminationS !== null && p.restarts > 0 && p.lastTerminationS <= windowS),
  );
  const unready = i.pods.filter((p) => p.status === "Running" && !p.ready).map((p) => p.name);
  // More failures than before, and more than a busy host's odd timeout.
  const erring =
    errShare(i.recent) - errShare(i.reference) > 0.02 &&
    gw(i.recent).filter((s) => s.status !== "OK").length >= 3;
  // Whose own time grew: a service at least 2.5 times and 40 ms slower than it was.
  const before = selfTimes(i.reference);
  const now = selfTimes(i.recent);
  const growth = new Map([...now].map(([s, ms]) => [s, ms - (before.get(s) ?? ms)]));
  const grown = [...now].filter(
    ([s, ms]) => ms > 2.5 * (before.get(s) ?? ms) && ms - (before.get(s) ?? ms) > 40,
  ).length;
  const slower = gwMs(i.recent) > 1.5 * gwMs(i.reference) + 25 || grown > 0;
  const detected = erring || slower || troubled.length > 0 || unready.length > 0;
  return { detected, troubled, unready, erring, growth, grown };
}

/** Pods that died or do not serve are the strongest evidence: the one with most restarts first. */
function podDiagnosis(i: DiagnoseInput, troubled: readonly PodView[], origins: readonly Origin[]): Diagnosis {
  const p = [...troubled].sort((a, b) => b.restarts - a.restarts)[0] as PodView;
  const rest = rank(countBy(origins.map((o) => o.callee ?? o.service))).filter((s) => s !== p.name);
  return {
    detected: true,
    suspects: [p.name, ...rest].slice(0, 3),
    kind: podKind(p, i.logs ?? []),
    evidence: `pod ${p.name} ${p.status}, ${p.restarts} restarts, last ${p.lastTermination ?? "-"}`,
  };
}

/**
 * Retries that multiply the load: failed calls whose callee served them several times (one server
 * span per attempt), every attempt cut off. The caller's retry policy turns the callee's slowness
 * into failure: the caller first, the slowed callee next. Null when fewer than 3 such calls.
 */
function retryDiagnosis(i: DiagnoseInput): Diagnosis | null {
  const kids = childrenOf(i.recent);
  const serverTries = (s: SpanView) => (kids.get(s.spanId) ?? []).filter((k) => k.kind === "server");
  const retried = i.recent.filter((s) => {
    if (s.kind !== "client" || s.status === "OK" || s.callee === null) return false;
    const tries = serverTries(s);
    return tries.length >= 2 && tries.every((k) => k.status !== "OK");
  });
  if (retried.length < 3) return null;
  const callers = rank(countBy(retried.map((s) => s.service)));
  const callees = rank(countBy(retried.map((s) => i.calleeName(s.callee as string))));
  const tries = mean(retried.map((s) => serverTries(s).length));
  return {
    detected: true,
    suspects: [...new Set([...callers, ...callees])].slice(0, 3),
    kind: "retry-storm",
    evidence: `${retried.length} calls from ${String(callers[0])} to ${String(callees[0])} failed after ${tries.toFixed(1)} attempts each`,
  };
}

/**
 * Blame: a service failing on its own; a call that reached no server: its callee when the answer
 * came at once (refused, no endpoints, exhausted), its caller when the call waited out a deadline the
 * caller set (lost packets, a deadline too short: the caller's config or path). A deadline met at
 * once at the server is one its caller set too short: the caller's config.
 */
function blame(o: Origin): string {
  if (o.at === "server")
    return o.code === "DEADLINE_EXCEEDED" && o.durationMs < SHORT_MS && o.caller !== null
      ? o.caller
      : o.service;
  return o.code === "DEADLINE_EXCEEDED" ? o.service : (o.callee ?? o.service);
}

/** Services ranked by the failures they start, less what failed as much at baseline. */
function errorSuspects(i: DiagnoseInput, origins: readonly Origin[]): string[] {
  // What failed as much at baseline (an overloaded host times calls out anyway) is not news.
  const span = (xs: readonly SpanView[]) =>
    xs.length === 0
      ? 1
      : Math.max(1, (Math.max(...xs.map((x) => x.startMs)) - Math.min(...xs.map((x) => x.startMs))) / 1000);
  const scale = span(i.recent) / span(i.reference);
  const usual = countBy(errorOrigins(i.reference, i.calleeName).map(blame));
  const counts = countBy(origins.map(blame));
  for (const [k, n] of counts) counts.set(k, n - scale * (usual.get(k) ?? 0));
  const suspects = rank(new Map([...counts].filter(([, n]) => n > 0)));
  if (suspects.length === 0) suspects.push(...rank(countBy(origins.map(blame))));
  return suspects;
}

/** The kind of fault that makes `top`'s failures (`mine`: mostly `code`, at `where`) on `edge` look as they do. */
function errorKind(
  i: DiagnoseInput,
  top: string,
  mine: readonly Origin[],
  code: string,
  where: Origin["at"],
  edge: string | undefined,
): FaultKind {
  if (code === "RESOURCE_EXHAUSTED") return "inflight-exhausted";
  if (code === "DEADLINE_EXCEEDED" || code === "CANCELLED") {
    const short = median(mine.map((o) => o.durationMs)) < SHORT_MS;
    if (where === "server") return short ? "callee-deadline" : "hang";
    if (where === "reply") return short ? "callee-deadline" : "one-way-loss";
    // On the edge blamed: the share of its calls that failed (all: a partition; some: loss).
    // From its first failure on: the calls before it are the calm before the onset.
    const onEdge = i.recent
      .filter(
        (s) =>
          s.kind === "client" && s.service === top && s.callee !== null && i.calleeName(s.callee) === edge,
      )
      .sort((a, b) => a.startMs - b.startMs);
    const calls = onEdge.slice(
      Math.max(
        0,
        onEdge.findIndex((s) => s.status !== "OK"),
      ),
    );
    const failedShare = calls.length === 0 ? 1 : calls.filter((s) => s.status !== "OK").length / calls.length;
    if (failedShare > 0.9)
      // Sent and unanswered (grpc-js names the peer), or never connected (it waited for one).
      return mine.filter((o) => o.message.includes("Waiting for LB pick")).length > mine.length / 2
        ? "network-policy-block"
        : "partition";
    return burstySeq(calls) ? "link-flapping" : "packet-loss";
  }
  if (code === "UNAVAILABLE" && where === "call")
    return mine.some((o) => o.message.includes("ECONNREFUSED")) ? "wrong-target-port" : "selector-mismatch";
  if (code === "UNAVAILABLE" && bursty(i.recent, top)) return "flapping";
  return "error-rate";
}

/** Failures that start somewhere: who starts the most, and how they look. */
function errorDiagnosis(i: DiagnoseInput, origins: readonly Origin[]): Diagnosis {
  const suspects = errorSuspects(i, origins);
  const top = suspects[0] as string;
  const mine = origins.filter((o) => blame(o) === top);
  const code = rank(countBy(mine.map((o) => o.code)))[0] as string;
  const where = rank(countBy(mine.map((o) => o.at)))[0] as Origin["at"];
  const edge = rank(countBy(mine.filter((o) => o.callee !== null).map((o) => o.callee as string)))[0];
  const kind = errorKind(i, top, mine, code, where, edge);
  // A policy that drops the caller's connections is the callee's: the callee first.
  const named =
    kind === "network-policy-block" && edge !== undefined
      ? [edge, ...suspects.filter((s) => s !== edge)]
      : suspects;
  return {
    detected: true,
    suspects: named.slice(0, 3),
    kind,
    evidence: `${mine.length} failures start at ${top} (${code}, ${where})`,
  };
}

/** Latency: whose own time grew the most (unready pods first), and how: cpu, disk and io, or memory. */
function latencyDiagnosis(i: DiagnoseInput, sym: Symptoms): Diagnosis {
  const { growth, unready } = sym;
  const grownBy = rank(growth).filter((s) => (growth.get(s) ?? 0) > 5);
  const suspects = [...unready, ...grownBy.filter((s) => !unready.includes(s))];
  const top = suspects[0] ?? i.gateway;
  const ownGrowth = growth.get(top) ?? 0;
  // Per request, the time its cpu ops and its disk and io ops took, against before.
  const cpuGrowth = perRequest(i.recent, top, ["op cpu"]) - perRequest(i.reference, top, ["op cpu"]);
  const ioGrowth =
    perRequest(i.recent, top, ["op disk", "op io"]) - perRequest(i.reference, top, ["op disk", "op io"]);
  const series = selfTimeSeries(i.recent).get(top) ?? [];
  const half = Math.floor(series.length / 2);
  const rising = series.length >= 10 && mean(series.slice(half)) > 1.3 * mean(series.slice(0, half)) + 10;
  let kind: FaultKind;
  let how = "";
  if (Math.max(cpuGrowth, ioGrowth) > ownGrowth / 3 && cpuGrowth >= ioGrowth) {
    // A CFS quota holds a cpu op until a period boundary (100 ms, the kernel's default): the ops
    // that waited end just after one, where a slower CPU ends them at any moment.
    const slow = i.recent.filter(
      (s) => s.service === top && s.kind === "internal" && s.name === "op cpu" && s.durationMs > 20,
    );
    const r = phaseConcentration(
      slow.map((s) => s.startMs + s.durationMs),
      CFS_PERIOD_MS,
    );
    how = `, cpu ${cpuGrowth.toFixed(0)} ms more a request, ${slow.length} slow ops end in phase ${r.toFixed(2)}`;
    // Rayleigh's test: n R^2 > 4.6 happens by chance with odds under 1%.
    kind = slow.length * r * r > 4.6 ? "cpu-throttling" : "cpu-saturation";
  } else if (Math.max(cpuGrowth, ioGrowth) > ownGrowth / 3) {
    how = `, disk and io ${ioGrowth.toFixed(0)} ms more a request`;
    kind = "slow-disk";
  } else kind = rising ? "slow-memory-leak" : "latency";
  return {
    detected: true,
    suspects: (suspects.length > 0 ? suspects : [top]).slice(0, 3),
    kind,
    evidence: `${top}'s own time grew ${ownGrowth.toFixed(0)} ms${how}`,
  };
}

export function diagnose(i: DiagnoseInput): Diagnosis {
  const sym = symptoms(i);
  if (!sym.detected)
    return {
      detected: false,
      suspects: [],
      kind: null,
      evidence: "gateway errors and latency as before; pods healthy",
    };
  const origins = errorOrigins(i.recent, i.calleeName);
  if (sym.troubled.length > 0) return podDiagnosis(i, sym.troubled, origins);
  const retries = sym.erring ? retryDiagnosis(i) : null;
  if (retries !== null) return retries;
  // Timeouts alone while a service's own time grew are that slowness seen from upstream (callers
  // and, on a busy host, a starved neighbour giving up): the latency analysis names it.
  const timeoutsOnly = origins.every((o) => o.code === "DEADLINE_EXCEEDED" || o.code === "CANCELLED");
  if (sym.erring && origins.length > 0 && !(timeoutsOnly && sym.grown > 0)) return errorDiagnosis(i, origins);
  return latencyDiagnosis(i, sym);
}
