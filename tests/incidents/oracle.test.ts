import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { expand, type KubeObject } from "../../core/expand";
import { applicableKinds, applyIncident, generateIncident, incidentJson } from "../../core/incidents";
import { minPods } from "../../core/k8s/scaling";
import {
  baselineViolations,
  judgeMitigation,
  localViolations,
  scoreAnswer,
  type LocalServiceState,
  type Slo,
} from "../../core/oracle";
import { runtimeConfig } from "../../core/runtime-config";
import { generate } from "../../core/spec";
import { run } from "../cli/run";

const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed: "42", services: 20 }));
const baseline = expand(spec);
const slo: Slo = { minSuccessRate: 0.99, maxP99Ms: 1000 };
const good = { successRate: 1, p99Ms: 100 };

/** What `kubectl get -o json` would record for these objects: server fields and a status added. */
function recorded(objects: readonly KubeObject[], ready = (name: string) => readyOf(name)): unknown[] {
  return objects.map((o) => {
    const live = structuredClone(o) as unknown as Record<string, unknown> & {
      metadata: Record<string, unknown>;
    };
    live.metadata = {
      ...live.metadata,
      uid: `uid-${o.metadata.name}`,
      resourceVersion: "123",
      generation: 2,
    };
    if (o.kind === "Deployment") {
      const r = ready(o.metadata.name);
      live.spec = { replicas: r, ...(live.spec as object) };
      live.status = { readyReplicas: r, replicas: r };
    }
    return live;
  });
}
function readyOf(name: string): number {
  const svc = spec.services.find((s) => s.name === name);
  return svc === undefined ? 1 : minPods(svc);
}

describe("scoreAnswer", () => {
  const inc = generateIncident(spec, {
    kind: "partition",
    target: `${spec.services[0].id}->${spec.services[0].calls[0]}`,
  });
  const edge = `A->${spec.services[0].calls[0]}`;
  it.each([
    [{ localization: [edge] }, 1, true, true],
    [{ localization: ["Q", "R", edge] }, 3, false, true],
    [{ localization: ["Q", "R", "S", edge] }, 4, false, false],
    [{ localization: ["A"] }, 1, true, true], // the caller holds the fault
    [{ localization: [] }, null, false, false],
  ])("localization %j: rank %s, exact %s, top-3 %s", (answer, rank, exact, topK) => {
    const s = scoreAnswer(inc, answer);
    expect(s.localization).toMatchObject({ rank, exact, topK, k: 3 });
  });

  it("detection depends on the window; the kind must match", () => {
    const during = { startS: inc.window.baselineS + 1, endS: inc.window.baselineS + 2 };
    const before = { startS: 0, endS: inc.window.baselineS };
    expect(scoreAnswer(inc, { detected: true }, { window: during }).detection.correct).toBe(true);
    expect(scoreAnswer(inc, { detected: true }, { window: before }).detection.correct).toBe(false);
    expect(scoreAnswer(inc, { detected: false }, { window: before }).detection.correct).toBe(true);
    expect(scoreAnswer(inc, { kind: "partition" }).rootCauseKind.correct).toBe(true);
    expect(scoreAnswer(inc, { kind: "hang" }).rootCauseKind.correct).toBe(false);
  });
});

describe("mitigation oracle (cluster mode, recorded kubectl JSON)", () => {
  it("passes the baseline when the SLO is met, and fails it when the SLO is not", () => {
    const live = recorded(baseline);
    expect(baselineViolations(spec, baseline, live)).toEqual([]);
    expect(judgeMitigation([], slo, good).passed).toBe(true);
    expect(judgeMitigation([], slo, { successRate: 0.9, p99Ms: 100 }).passed).toBe(false);
  });

  it.each(
    applicableKinds(spec)
      .filter((k) => k.targets.length > 0)
      .map((k) => [k.def.kind]),
  )("an unmitigated %s fails", (kind) => {
    const inc = generateIncident(spec, { incidentSeed: "1", kind: kind as never });
    const live = recorded(applyIncident(spec, baseline, inc));
    const v = baselineViolations(spec, baseline, live);
    expect(v.length).toBeGreaterThan(0);
    expect(judgeMitigation(v, slo, good).passed).toBe(false);
  });

  const victim = spec.services.find((s) => s.calls.length > 0 && s.id !== spec.gateway) ?? spec.services[1];
  const gaming: [string, (objs: KubeObject[]) => unknown[]][] = [
    ["scale to zero", (objs) => recorded(objs, (n) => (n === victim.name ? 0 : readyOf(n)))],
    ["delete the service", (objs) => recorded(objs.filter((o) => o.metadata.name !== victim.name))],
    [
      "remove the edge",
      (objs) =>
        recorded(
          objs.map((o) => {
            if (o.kind !== "ConfigMap" || o.metadata.name !== victim.name) return o;
            const cfg = JSON.parse(o.data?.["service.json"] ?? "{}") as {
              callees: Record<string, string>;
              paths: string[];
            };
            const callee = victim.calls[0];
            delete cfg.callees[callee];
            cfg.paths = cfg.paths.map((p) => p.replace(new RegExp(`\\b${callee}\\b`, "g"), "noop"));
            return { ...o, data: { "service.json": JSON.stringify(cfg) } };
          }),
        ),
    ],
    [
      "remove the NetworkPolicy",
      (objs) =>
        recorded(objs.filter((o) => !(o.kind === "NetworkPolicy" && o.metadata.name === victim.name))),
    ],
  ];
  it.each(gaming)("gaming by %s fails even with the SLO met", (_name, game) => {
    const v = baselineViolations(spec, baseline, game([...baseline]));
    expect(v.length).toBeGreaterThan(0);
    expect(v.join("\n")).toMatch(new RegExp(victim.name));
    expect(judgeMitigation(v, slo, good).passed).toBe(false);
  });
});

describe("mitigation oracle (local mode, the running processes)", () => {
  // What slop run --local --incident hands the oracle: per service, SERVING or not and its live config.
  const configs = spec.services.map((s) =>
    runtimeConfig(spec, s, (c) => `127.0.0.1:${50000 + spec.services.indexOf(c)}`),
  );
  const healthy = (): LocalServiceState[] => configs.map((c) => ({ id: c.id, serving: true, config: c }));
  const victim = spec.services.find((s) => s.calls.length > 0 && s.id !== spec.gateway) ?? spec.services[1];
  const edit = (f: (s: LocalServiceState) => LocalServiceState | null): LocalServiceState[] =>
    healthy().flatMap((s) => {
      if (s.id !== victim.id) return [s];
      const out = f(s);
      return out === null ? [] : [out];
    });

  it("passes the baseline, and fails an unmitigated fault (its knobs still on)", () => {
    expect(localViolations(configs, healthy())).toEqual([]);
    const inc = generateIncident(spec, { incidentSeed: "1", kind: "crash-loop", target: victim.id });
    const on = edit((s) => {
      const cfg = s.config as NonNullable<LocalServiceState["config"]>;
      return { ...s, config: { ...cfg, faults: { ...cfg.faults, ...inc.local.runtime[0].faults } } };
    });
    expect(localViolations(configs, on)).toEqual([
      `service ${victim.id} fault knobs differ from the baseline`,
    ]);
  });

  const callee = victim.calls[0];
  it.each<[string, (s: LocalServiceState) => LocalServiceState | null, RegExp]>([
    ["scale to zero (the process stopped)", (s) => ({ ...s, serving: false }), /is not serving/],
    ["delete the service", () => null, /is missing/],
    [
      "remove the edge",
      (s) => {
        const cfg = structuredClone(s.config as NonNullable<LocalServiceState["config"]>);
        delete (cfg.callees as Record<string, string>)[callee];
        return {
          ...s,
          config: {
            ...cfg,
            paths: cfg.paths.map((p) => p.replace(new RegExp(`\\b${callee}\\b`, "g"), "noop")),
          },
        };
      },
      /edges \(callees\) differ|paths differ/,
    ],
  ])("gaming by %s fails even with the SLO met", (_name, game, re) => {
    const v = localViolations(configs, edit(game));
    expect(v.length).toBeGreaterThan(0);
    expect(v.join("\n")).toMatch(new RegExp(`service ${victim.id} `));
    expect(v.join("\n")).toMatch(re);
    expect(judgeMitigation(v, slo, good).passed).toBe(false);
  });
});

describe("slop oracle", () => {
  const dir = mkdtempSync(join(tmpdir(), "slop-oracle-"));
  const inc = generateIncident(spec, { kind: "hang", target: victim() });
  function victim(): string {
    return spec.services[3].id;
  }
  writeFileSync(join(dir, "incident.json"), incidentJson(inc));
  writeFileSync(
    join(dir, "answer.json"),
    JSON.stringify({ detected: true, localization: [victim()], kind: "hang" }),
  );
  writeFileSync(join(dir, "live.json"), JSON.stringify({ kind: "List", items: recorded(baseline) }));
  writeFileSync(join(dir, "summary.json"), JSON.stringify({ successRate: 0.999, p99Ms: 200 }));

  it("scores an answer and judges a mitigation", async () => {
    const r = await run([
      "oracle",
      "--seed",
      "42",
      "--services",
      "20",
      "--incident",
      join(dir, "incident.json"),
      "--answer",
      join(dir, "answer.json"),
      "--live",
      join(dir, "live.json"),
      "--measured",
      join(dir, "summary.json"),
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.localization.exact).toBe(true);
    expect(out.rootCauseKind.correct).toBe(true);
    expect(out.mitigation.passed).toBe(true);
  });

  it("bad answers and foreign incidents exit 2", async () => {
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ localization: "B" }));
    const bad = await run([
      "oracle",
      "--seed",
      "42",
      "--services",
      "20",
      "--incident",
      join(dir, "incident.json"),
      "--answer",
      join(dir, "bad.json"),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/answer\.localization must be/);
    const other = await run([
      "oracle",
      "--seed",
      "43",
      "--services",
      "20",
      "--incident",
      join(dir, "incident.json"),
      "--answer",
      join(dir, "answer.json"),
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/incident\.system\.specHash/);
  });
});
