import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { diffSystems, isEmptyDiff, KUBE_RESOURCES } from "../../core/diff";
import { expand } from "../../core/expand";
import {
  applyIncident,
  applicableKinds,
  FAULT_KINDS,
  generateIncident,
  incidentJson,
  reachModel,
  readIncident,
} from "../../core/incidents";
import { generate } from "../../core/spec";
import type { SystemSpec } from "../../core/types";
import { run } from "../cli/run";
import { buildSpec } from "../expand/fixtures";
import { validateAll } from "../expand/validate";

const spec = (seed: string, services = 20): SystemSpec =>
  generate(parseConfig({ ...DEFAULT_CONFIG, seed, services }));

describe("reach model", () => {
  // A -> B (always), C (half the time); B -> D twice; C -> D.
  const s = buildSpec([
    { id: "A", calls: ["B", "C"], paths: ["B,C?0.5", "noop"] },
    { id: "B", calls: ["D"], paths: ["D*2", "cpu"] },
    { id: "C", calls: ["D"], paths: ["D"] },
    { id: "D", paths: ["disk", "noop"] },
  ]);
  it.each([
    // site, q, service, expected clean
    [{ type: "service", service: "D" } as const, 1, "B", 0.5],
    [{ type: "service", service: "D" } as const, 1, "C", 0],
    [{ type: "service", service: "D" } as const, 0.5, "B", 0.5 + 0.5 * 0.25],
    [{ type: "ops", service: "D", ops: ["disk"] } as const, 1, "C", 0.5],
    [{ type: "ops", service: "D", ops: ["disk"] } as const, 1, "B", 0.5 + 0.5 * 0.25],
    [{ type: "edge", caller: "A", callee: "C" } as const, 1, "A", 0.5 + 0.5 * 0.5],
    [{ type: "edge", caller: "C", callee: "D" } as const, 1, "A", 0.5 + 0.5 * 0.5],
  ])("clean(%j, q=%d) at %s = %d", (site, q, at, expected) => {
    expect(reachModel(s, site, q).clean(at)).toBeCloseTo(expected, 12);
  });

  it("gives per-route odds at the gateway", () => {
    const m = reachModel(s, { type: "service", service: "C" }, 1);
    expect(m.cleanRoute(0)).toBeCloseTo(0.5, 12);
    expect(m.cleanRoute(1)).toBe(1);
  });

  it("agrees with a simulation of random path choices on a generated system", () => {
    const sys = spec("7", 15);
    const target = sys.services[sys.services.length - 1].id;
    const m = reachModel(sys, { type: "service", service: target }, 1);
    // Simulate: a request into S picks a path uniformly, runs ?p with odds p, repeats, calls.
    let x = 12345;
    const rnd = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31), x / 2 ** 31);
    const byId = new Map(sys.services.map((sv) => [sv.id, sv]));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parse } = require("../../core/grammar") as typeof import("../../core/grammar");
    type E = ReturnType<typeof parse>["items"][number];
    const hits = (id: string): boolean => {
      if (id === target) return true;
      const sv = byId.get(id)!;
      const p = parse(sv.paths[Math.floor(rnd() * sv.paths.length)]);
      let hit = false;
      const ex = (e: E): void => {
        switch (e.type) {
          case "call":
            if (hits(e.service)) hit = true;
            return;
          case "local":
            return;
          case "chain":
          case "parallel":
            return e.items.forEach(ex);
          case "repeat":
            for (let i = 0; i < e.count; i++) ex(e.body);
            return;
          case "maybe":
            if (rnd() < e.p) ex(e.body);
            return;
        }
      };
      p.items.forEach(ex);
      return hit;
    };
    const n = 20000;
    let affected = 0;
    for (let i = 0; i < n; i++) if (hits(sys.gateway)) affected++;
    expect(affected / n).toBeCloseTo(1 - m.clean(sys.gateway), 1);
  });
});

describe("generateIncident", () => {
  const s42 = spec("42");

  it("is byte-identical for the same inputs, and differs between incident seeds", () => {
    const a = incidentJson(generateIncident(s42, { incidentSeed: "5" }));
    expect(incidentJson(generateIncident(spec("42"), { incidentSeed: "5" }))).toBe(a);
    const others = ["1", "2", "3", "4"].map((k) => incidentJson(generateIncident(s42, { incidentSeed: k })));
    expect(new Set([a, ...others]).size).toBeGreaterThan(1);
  });

  it("an explicit kind gets the parameters and target the seed gives it", () => {
    const drawn = generateIncident(s42, { incidentSeed: "9" });
    const explicit = generateIncident(s42, { incidentSeed: "9", kind: drawn.fault.kind });
    expect(explicit.fault).toEqual(drawn.fault);
  });

  it("derives the routes: a fault on an edge from the gateway hits exactly the routes calling it", () => {
    const gw = s42.services[0];
    const callee = gw.calls[0];
    const inc = generateIncident(s42, { kind: "partition", target: `A->${callee}` });
    for (const r of inc.groundTruth.routes) {
      const calls = new RegExp(`\\b${callee}\\b`).test(r.path);
      expect(r.reach > 0).toBe(calls);
    }
    expect(inc.groundTruth.statusCode).toBe(4);
    expect(inc.groundTruth.services.map((x) => x.service)).toContain("A");
  });

  it("rejects a kind that does not apply and a target that is not a candidate", () => {
    const noHpa = buildSpec([{ id: "A", calls: ["B"] }, { id: "B" }]);
    expect(() => generateIncident(noHpa, { kind: "hpa-max-too-low" })).toThrow(/--kind/);
    expect(() => generateIncident(s42, { kind: "partition", target: "B" })).toThrow(
      /--target must be a target of partition/,
    );
    expect(() => generateIncident(s42, { kind: "hang", target: "b" })).toThrow(/--target/);
  });

  it("round-trips through readIncident and names bad fields", () => {
    const inc = generateIncident(s42, { incidentSeed: "1" });
    expect(readIncident(JSON.parse(incidentJson(inc)))).toEqual(JSON.parse(incidentJson(inc)));
    expect(() => readIncident({ ...inc, fault: { ...inc.fault, kind: "meteor" } })).toThrow(
      /incident\.fault\.kind/,
    );
    expect(() => readIncident({ ...inc, apiVersion: "v0" })).toThrow(/incident\.apiVersion/);
  });
});

const KIND_SEEDS = ["42", "7"];

it("every kind, the 12 Kubernetes ones included, has a target on one of the seeds below (none is skipped)", () => {
  const covered = new Set(
    KIND_SEEDS.flatMap((seed) =>
      applicableKinds(spec(seed))
        .filter((k) => k.targets.length > 0)
        .map((k) => k.def.kind),
    ),
  );
  expect(FAULT_KINDS.filter((k) => !covered.has(k))).toEqual([]);
});

describe.each(KIND_SEEDS)("every kind on seed %s", (seed) => {
  const s = spec(seed);
  const base = expand(s);
  const kinds = applicableKinds(s).filter((k) => k.targets.length > 0);

  it("covers the catalogue (the kinds without a target here need a PVC or an HPA)", () => {
    expect(kinds.length).toBeGreaterThanOrEqual(FAULT_KINDS.length - 2);
  });

  it.each(FAULT_KINDS.map((k) => [k]))("%s: schema-valid objects that slop diff reports", (kind) => {
    if (!kinds.some((k) => k.def.kind === kind)) return;
    const inc = generateIncident(s, { incidentSeed: seed, kind });
    const objects = applyIncident(s, base, inc);
    validateAll(objects);
    const b = { ...s };
    const d = diffSystems(s, b, { expand: (x) => (x === b ? objects : base), key: KUBE_RESOURCES.key });
    expect(d.resources.changed.length).toBeGreaterThan(0);
    expect(isEmptyDiff(d)).toBe(false);
    // A rewritten service.json rolls its Deployment, and the diff says so (runtime kinds, broken-config).
    const rewritten = d.resources.changed.map((c) => c.key).filter((k) => k.startsWith("v1/ConfigMap/"));
    const rollouts = d.resources.changed.flatMap((c) =>
      c.fields.flatMap((f) => ("rollout" in f ? [[c.key, f.rollout]] : [])),
    );
    expect(rollouts).toEqual(rewritten.map((k) => [k.replace("v1/ConfigMap/", "apps/v1/Deployment/"), k]));
    expect(rewritten.length > 0).toBe(inc.fault.layer === "runtime" || kind === "broken-config");
    // Only the target's (or the edge's two ends': a retry storm changes both) objects change.
    const names = new Set(d.resources.changed.map((c) => c.key.split("/").pop()));
    const ids = [
      inc.groundTruth.rootCause.service,
      ...(inc.fault.target.type === "edge" ? [inc.fault.target.caller, inc.fault.target.callee] : []),
    ];
    const owners = ids.flatMap((i) => s.services.filter((x) => x.id === i).map((x) => x.name));
    for (const n of names) expect(owners.some((o) => n === o || n?.startsWith(`${o}-`))).toBe(true);
    expect(inc.local.mode === "cluster-only").toBe(inc.local.runtime.length === 0);
  });

  it.each(["taint-no-toleration", "bad-image-tag", "readiness-wrong-port"] as const)(
    "%s: the target's pods are replaced at once (Recreate), so the fault is not masked by old pods",
    (kind) => {
      if (!kinds.some((k) => k.def.kind === kind)) return;
      const inc = generateIncident(s, { incidentSeed: seed, kind });
      const target = s.services.find((x) => x.id === inc.groundTruth.rootCause.service);
      const dep = applyIncident(s, base, inc).find(
        (o) => o.kind === "Deployment" && o.metadata.name === target?.name,
      );
      expect(dep?.kind === "Deployment" ? dep.spec?.strategy : undefined).toEqual({ type: "Recreate" });
    },
  );

  it("pvc-bad-storage-class: the target's data volume moves to a new claim in the missing class, and the old claim goes", () => {
    if (!kinds.some((k) => k.def.kind === "pvc-bad-storage-class")) return;
    const inc = generateIncident(s, { incidentSeed: seed, kind: "pvc-bad-storage-class" });
    const target = s.services.find((x) => x.id === inc.groundTruth.rootCause.service);
    const objects = applyIncident(s, base, inc);
    const claims = (os: typeof base) => os.flatMap((o) => (o.kind === "PersistentVolumeClaim" ? [o] : []));
    const dep = objects.find((o) => o.kind === "Deployment" && o.metadata.name === target?.name);
    const volumes = dep?.kind === "Deployment" ? (dep.spec?.template.spec?.volumes ?? []) : [];
    const data = volumes.find((v) => v.name === "data");
    expect(data?.persistentVolumeClaim?.claimName).toBe(inc.fault.params.claimName);
    expect(dep?.kind === "Deployment" ? dep.spec?.strategy : undefined).toEqual({ type: "Recreate" });
    const bad = claims(objects).find((c) => c.metadata.name === inc.fault.params.claimName);
    expect(bad?.spec?.storageClassName).toBe(inc.fault.params.storageClassName);
    const old = claims(base).filter((c) => c.metadata.name.startsWith(`${target?.name}-`));
    expect(old).toHaveLength(1);
    expect(claims(objects).map((c) => c.metadata.name)).not.toContain(old[0]?.metadata.name);
    expect(claims(objects)).toHaveLength(claims(base).length);
  });

  it("refuses an incident made for another system", () => {
    const inc = generateIncident(spec(seed === "42" ? "7" : "42"), { kind: "hang" });
    expect(() => applyIncident(s, base, inc)).toThrow(/incident\.system\.specHash/);
  });
});

describe("slop incident", () => {
  it("lists the kinds, generates JSON, and diff --incident shows the change", async () => {
    const list = await run(["incident", "list", "--seed", "42"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/replicas-zero\s+kubernetes/);
    const a = await run(["incident", "generate", "--seed", "42", "--incident-seed", "4"]);
    const b = await run(["incident", "generate", "--seed", "42", "--incident-seed", "4"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).kind).toBe("Incident");
  });

  it.each([
    [["--kind", "meteor"], /--kind must be/],
    [["--kind", "hang", "--target", "ZZZ"], /--target must be/],
    [["--incident-seed", "a b"], /--incident-seed must be/],
  ])("bad input %j exits 2", async (args, msg) => {
    const r = await run(["incident", "generate", "--seed", "42", ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stdout).toBe("");
  });
});
