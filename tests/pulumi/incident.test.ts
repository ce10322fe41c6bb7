/**
 * The `k8s-slop:incident` key: the System renders the objects with the incident applied, so a
 * preview shows exactly the injected change, and that change is the one `slop diff --incident`
 * reports. Removing the key restores the baseline.
 */
import { execFileSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../core/config";
import { UserError } from "../../core/errors";
import * as diff from "../../core/diff";
import * as exp from "../../core/expand";
import type { KubeObject } from "../../core/expand";
import * as core from "../../core/incidents";
import { generate } from "../../core/spec";
import { installMocks, plain, settle } from "./harness";

const rec = installMocks();
jest.setTimeout(240_000);

type Program = typeof import("../../components/program");
type SystemModule = typeof import("../../components/system");
let prog: Program;
let sys: SystemModule;

beforeAll(async () => {
  prog = await import("../../components/program");
  sys = await import("../../components/system");
});
beforeEach(() => rec.reset());

const SMALL = { seed: "42", services: 8 };
const dir = mkdtempSync(join(tmpdir(), "slop-pulumi-incident-"));

const SPEC = generate(parseConfig(SMALL));

/** The objects a System registers, by objectKey, as sent to the engine. */
async function objects(incident?: core.Incident) {
  rec.reset();
  new sys.System("system", {
    spec: SPEC,
    incident,
    // As the program passes them: the service.json then names the collector, which slop diff's
    // default expand leaves out.
    expandOptions: { otlpEndpoint: "http://otel-collector.observability.svc.cluster.local:4317" },
  });
  await settle();
  const list = rec.resources
    .filter((r) => r.type.startsWith("kubernetes:"))
    .map((r) => plain(r.inputs) as unknown as KubeObject);
  return { byKey: new Map(list.map((o) => [exp.objectKey(o), o])), list };
}

/**
 * Every Kubernetes kind (a Pulumi run per kind costs about a second here), and two runtime kinds,
 * one on a service and one on an edge: runtime faults and broken-config rewrite a ConfigMap (and
 * roll its Deployment); the other Kubernetes kinds patch a Service, a Deployment, a NetworkPolicy,
 * an HPA or a PVC. tests/incidents/incidents.test.ts checks every kind's objects against the
 * schema and slop diff.
 */
const KINDS: readonly core.FaultKind[] = [...core.KUBERNETES_KINDS, "error-rate", "partition"];

describe("System with an incident", () => {
  let baseline: Awaited<ReturnType<typeof objects>>;
  beforeAll(async () => {
    baseline = await objects();
  });

  it.each(KINDS)(
    "%s: the System changes exactly the objects slop diff --incident reports, field for field",
    async (kind) => {
      const spec = SPEC;
      const applicable = core.applicableKinds(spec).find((k) => k.def.kind === kind);
      expect(applicable?.targets.length).toBeGreaterThan(0);
      const inc = core.generateIncident(spec, { incidentSeed: "3", kind });
      const injected = await objects(inc);

      // What the engine would see change (including the config-hash annotation that rolls pods) ...
      const before = [...baseline.byKey.keys()];
      const after = [...injected.byKey.keys()];
      const changed = before
        .filter((k) => injected.byKey.has(k))
        .filter((k) => JSON.stringify(baseline.byKey.get(k)) !== JSON.stringify(injected.byKey.get(k)))
        .sort();
      // ... against what `slop diff 42 42 --incident FILE` reports (B is its own copy of the spec).
      const b = structuredClone(spec);
      const reported = diff.diffSystems(spec, b, core.incidentSource(b, inc)).resources;
      // Objects are changed, never added or removed, except the claim pvc-bad-storage-class renames.
      const added = after.filter((k) => !baseline.byKey.has(k)).sort();
      const removed = before.filter((k) => !injected.byKey.has(k)).sort();
      expect(reported.added).toEqual(added);
      expect(reported.removed).toEqual(removed);
      const renames = kind === "pvc-bad-storage-class" ? 1 : 0;
      expect([added.length, removed.length]).toEqual([renames, renames]);
      const reportedKeys = reported.changed.map((c) => c.key);
      expect(reportedKeys.length).toBeGreaterThan(0);
      // Object for object: a Deployment whose only change is the config hash is listed as a rollout.
      expect(changed).toEqual([...reportedKeys].sort());
      // Field for field: the same paths change (inside service.json the values differ only by the
      // collector's address).
      const mine = diff.diffObjects(baseline.list, injected.list, exp.objectKey).changed;
      expect(mine.map((c) => [c.key, c.fields.map((f) => f.path)])).toEqual(
        reported.changed.map((c) => [c.key, c.fields.map((f) => f.path)]),
      );
      for (const c of mine.filter((x) => !x.key.startsWith("v1/ConfigMap/"))) {
        expect(c.fields).toEqual(reported.changed.find((r) => r.key === c.key)?.fields);
      }
    },
  );
});

describe("program with k8s-slop:incident", () => {
  it("a file or an incident seed names the incident slop incident generate gives", async () => {
    const { resolveIncident } = await import("../../components/incident");
    const want = core.incidentJson(core.generateIncident(SPEC, { incidentSeed: "7" }));
    const file = join(dir, "seven.yaml");
    writeFileSync(file, want); // JSON is YAML
    expect(core.incidentJson(resolveIncident(SPEC, "7"))).toBe(want);
    expect(core.incidentJson(resolveIncident(SPEC, file))).toBe(want);
  });

  it("the whole program changes exactly the objects of the incident's target (and only in the system's namespace)", async () => {
    const inc = core.generateIncident(SPEC, { incidentSeed: "7" });
    const file = join(dir, "seven.json");
    writeFileSync(file, core.incidentJson(inc));
    const snapshot = async (raw: Record<string, unknown>) => {
      rec.reset();
      const out = prog.program(raw);
      await settle();
      return { out, inputs: new Map(rec.resources.map((r) => [r.key, JSON.stringify(plain(r.inputs))])) };
    };
    const a = await snapshot(SMALL);
    const b = await snapshot({ ...SMALL, incident: file });
    expect(a.out.incident).toBeUndefined();
    expect(b.out.incident?.fault.kind).toBe(inc.fault.kind);
    expect([...b.inputs.keys()].sort()).toEqual([...a.inputs.keys()].sort());
    const changed = [...a.inputs.keys()].filter((k) => a.inputs.get(k) !== b.inputs.get(k)).sort();
    // Logical names of the objects the incident patches (its ConfigMap's Deployment rolls too).
    const patched = core.manifestPatches(SPEC, exp.expand(SPEC), inc).map((p) => {
      const [kind, , name] = p.object.split("/").slice(-3);
      const svc = SPEC.services.find((x) => x.name === name);
      return `system-${svc?.id ?? "?"}-${kind.toLowerCase()}`;
    });
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.map((k) => k.split("::")[1])).toEqual([...new Set(patched)].sort());
  });

  it("refuses a missing file, a FIFO, a value that is neither, an incident made for another system and bad patch paths; nothing is registered, nothing polluted", async () => {
    const other = core.generateIncident(generate(parseConfig({ seed: "43", services: 8 })), {
      incidentSeed: "1",
    });
    const otherFile = join(dir, "other.json");
    writeFileSync(otherFile, core.incidentJson(other));
    const fifo = join(dir, "fifo.json"); // read before its type was checked, it blocked forever
    execFileSync("mkfifo", [fifo]);
    // Manifest patches whose path is empty, null, through __proto__ or resolves nowhere: each
    // crashed with a stack, and __proto__ polluted Object.prototype.
    const base = core.generateIncident(SPEC, { incidentSeed: "1", kind: "replicas-zero" });
    const withPath = (name: string, path: unknown): string => {
      const file = join(dir, name);
      const patch = { ...base.mutation.manifests[0], path };
      writeFileSync(file, JSON.stringify({ ...base, mutation: { ...base.mutation, manifests: [patch] } }));
      return file;
    };
    for (const [value, re] of [
      [join(dir, "missing.json"), /^incident must be an existing Incident file/],
      [fifo, /fifo\.json: not a regular file \(a FIFO\)$/],
      [withPath("empty.json", ""), /^incident\.mutation\.manifests\[0\]\.path must be a JSON pointer/],
      [withPath("null.json", null), /^incident\.mutation\.manifests\[0\]\.path .*\(got null\)$/],
      [
        withPath("proto.json", "/__proto__/polluted"),
        /^incident\.mutation\.manifests\[0\]\.path .*__proto__/,
      ],
      [
        withPath("nowhere.json", "/spec/nope/x"),
        /^incident\.mutation\.manifests\[\]\.path must be a JSON pointer that resolves/,
      ],
      ["seed with spaces", /^incident must be an existing Incident file/],
      [otherFile, /^incident\.system\.specHash/],
    ] as const) {
      rec.reset();
      let err: unknown;
      try {
        prog.program({ ...SMALL, incident: value });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(re);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await settle();
      expect(rec.resources).toEqual([]);
    }
  });
});

describe("index.ts with k8s-slop:incident", () => {
  type Index = typeof import("../../index");
  async function runIndex(config: Record<string, string>) {
    rec.reset();
    pulumi.runtime.setAllConfig(config);
    let index: Index | undefined;
    jest.isolateModules(() => {
      index = jest.requireActual<Index>("../../index");
    });
    await settle();
    return { index: index as Index, inputs: rec.resources.map((r) => [r.key, r.inputs]) };
  }

  it("`pulumi config set incident 7` injects it (and exports what it is); `pulumi config rm incident` restores the baseline", async () => {
    const base = { "k8s-slop:services": "6", "k8s-slop:prometheus": "false" };
    const before = await runIndex(base);
    const injected = await runIndex({ ...base, "k8s-slop:incident": "7" });
    const after = await runIndex({ ...base, "k8s-slop:incident": "" });
    expect(before.index.incident).toBeUndefined();
    expect(injected.index.incident).toEqual(
      expect.objectContaining({ incidentSeed: "7", kind: expect.any(String), target: expect.any(String) }),
    );
    expect(JSON.stringify(injected.inputs)).not.toBe(JSON.stringify(before.inputs));
    expect(JSON.stringify(after.inputs)).toBe(JSON.stringify(before.inputs));
  });
});
