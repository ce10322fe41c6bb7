/**
 * The real Pulumi engine, the real Kubernetes provider and a real kube-apiserver (tests/e2e/cluster.ts),
 * on this machine: the repo's Pulumi.yaml and index.ts, a local file backend in a temp dir, the
 * passphrase secrets provider, the kubeconfig cluster provider, observability and mesh off.
 *
 *   preview of a fresh stack: its Kubernetes resources == the objects of `slop render`
 *   up: every object exists in the API server (server-side validation accepted each one)
 *   `pulumi config set seed 43` + `pulumi preview --diff`: created/updated+replaced/deleted == `slop diff 42 43`
 *   services N -> N+1: the same, and only the new service, the gateway and the callees' policies change
 *   an immutable field (ConfigMap data: the provider treats it as immutable) shows as a replace
 *   `pulumi config set incident FILE|SEED`: preview --diff == `slop diff --incident` for one kind per
 *     object kind an incident patches; `up` applies it (read back); `config rm incident` restores it
 *   destroy: nothing left in the namespace, and the namespace is gone
 *   `k8s-slop:registration grouped` (yaml/v2 ConfigGroups): up creates exactly the rendered objects,
 *     each a child of its group in the state; preview --diff after seed 43 == `slop diff`; destroy
 *
 * There are no kubelets or controllers, so the stack sets, through k8s-slop:objectAnnotations,
 * `pulumi.com/skipAwait: "true"` (no readiness waits) and `pulumi.com/deletionPropagationPolicy:
 * background` (foreground deletion needs the garbage collector) on every object, and the test plays
 * the namespace controller once the namespace is empty (it removes the `kubernetes` finalizer).
 * Needs the tools of scripts/dev-tools; see tools.ts for what happens without them.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { makeEngineProject, run, tailOf, type EngineProject, type Run } from "../../testkit/e2e-project";
import { stepSets, type Sets, type Step } from "../../testkit/preview-steps";
import { startCluster } from "./cluster";
import type { Cluster } from "./cluster";
import { engineTestsWanted, findTools, REPO, RUN_ENV } from "./tools";

const wanted = engineTestsWanted();
const tools = wanted ? findTools() : undefined;
const NS = "slop-e2e";
const SERVICES = 6;

const PLURAL: Record<string, string> = {
  Namespace: "namespaces",
  ConfigMap: "configmaps",
  PersistentVolumeClaim: "persistentvolumeclaims",
  Deployment: "deployments",
  Service: "services",
  HorizontalPodAutoscaler: "horizontalpodautoscalers",
  PodDisruptionBudget: "poddisruptionbudgets",
  NetworkPolicy: "networkpolicies",
  StorageClass: "storageclasses",
};

/** REST path of an object (or, without a name, of its collection in `ns`). */
function apiPath(apiVersion: string, kind: string, ns: string | undefined, name?: string): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const plural = PLURAL[kind];
  if (plural === undefined) throw new Error(`no REST path for kind ${kind}`);
  const scope = ns === undefined ? "" : `/namespaces/${ns}`;
  return `${base}${scope}/${plural}${name === undefined ? "" : `/${name}`}`;
}

if (tools === undefined) {
  it.skip(`real-engine tests opted out (${RUN_ENV}=0; see README)`, () => undefined);
} else if (!tools.ok) {
  it("has the tools the real-engine tests need", () => {
    throw new Error(tools.reason);
  });
} else {
  const bin = tools.bin;
  jest.setTimeout(600_000);

  describe("the real Pulumi engine against a real kube-apiserver", () => {
    let cluster: Cluster;
    let tmp: string;
    let project: EngineProject;
    let pulumi: (...args: string[]) => Promise<Run>;
    let slopConfig: (seed: string, services: number) => string;

    const preview = async (): Promise<Step[]> => {
      const r = await pulumi("preview", "--diff", "--json", "--non-interactive");
      return (JSON.parse(r.stdout) as { steps?: Step[] }).steps ?? [];
    };
    const slop = (...args: string[]) =>
      run(process.execPath, [path.join(REPO, "bin", "slop.js"), ...args], { cwd: tmp });
    interface SlopDiff {
      resources: {
        added: string[];
        removed: string[];
        changed: { key: string; fields: { path: string; rollout?: string }[] }[];
      };
      services: { added: { name: string }[]; changed: { name: string }[] };
      edges: { added: { caller: string; callee: string }[] };
    }
    const slopDiffJson = async (a: string, b: string, ...extra: string[]): Promise<SlopDiff> => {
      const r = await slop("diff", a, b, "--format", "json", ...extra);
      if (r.code !== 1) throw new Error(`slop diff exited ${r.code} (expected 1, different):\n${tailOf(r)}`);
      return JSON.parse(r.stdout) as SlopDiff;
    };
    const slopSets = (d: SlopDiff): Sets => ({
      created: [...d.resources.added].sort(),
      updated: d.resources.changed.map((c) => c.key).sort(),
      replaced: [],
      deleted: [...d.resources.removed].sort(),
    });
    const slopDiff = async (a: string, b: string): Promise<Sets> => slopSets(await slopDiffJson(a, b));
    /**
     * Object for object: Pulumi's created, updated + replaced and deleted sets are slop diff's added,
     * changed and removed objects (a Deployment whose only change is its config hash is in slop's
     * changed list as a rollout). slop diff has one "changed" list; Pulumi splits it into in-place
     * updates and replaces.
     */
    const expectSameAsSlopDiff = (pul: Sets, slopSets: Sets) => {
      expect(pul.created).toEqual(slopSets.created);
      expect(pul.deleted).toEqual(slopSets.deleted);
      expect([...pul.updated, ...pul.replaced].sort()).toEqual(slopSets.updated);
    };

    beforeAll(async () => {
      cluster = await startCluster(bin);
      // As on a managed cluster: a default StorageClass, which the DefaultStorageClass admission
      // plugin writes into every claim that names none (the render's PVCs name none).
      const sc = await cluster.api("POST", "/apis/storage.k8s.io/v1/storageclasses", {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: {
          name: "standard",
          annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        },
        provisioner: "example.com/none",
      });
      expect(sc.status).toBe(201);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-slop-e2e-"));
      project = await makeEngineProject(tmp, bin, cluster.kubeconfigPath, {
        seed: "42",
        services: SERVICES,
        namespace: NS,
        objectAnnotations: {
          "pulumi.com/skipAwait": "true",
          "pulumi.com/deletionPropagationPolicy": "background",
        },
      });
      pulumi = project.pulumi;
      slopConfig = (seed, services) => {
        const file = path.join(tmp, `slop-${seed}-${services}.yaml`);
        fs.writeFileSync(file, stringify({ seed, services, namespace: NS }));
        return file;
      };
    });

    afterAll(async () => {
      await cluster?.stop();
      if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    });

    let rendered: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }[] = [];
    const keyOf = (o: (typeof rendered)[number]): string =>
      o.metadata.namespace === undefined
        ? `${o.apiVersion}/${o.kind}/${o.metadata.name}`
        : `${o.apiVersion}/${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;

    it("preview of a fresh stack: its Kubernetes resources are the objects of `slop render`", async () => {
      const r = await slop("render", "--config", slopConfig("42", SERVICES));
      expect(r.code).toBe(0);
      rendered = r.stdout
        .split(/^---$/m)
        .map((doc) => parse(doc) as (typeof rendered)[number])
        .filter((o) => o !== null);
      const steps = await preview();
      const sets = stepSets(steps);
      expect(sets.updated).toEqual([]);
      expect(sets.deleted).toEqual([]);
      const keys = rendered.map((o) =>
        o.metadata.namespace === undefined
          ? `${o.apiVersion}/${o.kind}/${o.metadata.name}`
          : `${o.apiVersion}/${o.kind}/${o.metadata.namespace}/${o.metadata.name}`,
      );
      expect(sets.created).toEqual([...keys].sort());
      expect(sets.created.length).toBeGreaterThan(SERVICES * 4);
    });

    it("up creates every generated object in the API server", async () => {
      await pulumi("up", "--yes", "--skip-preview", "--non-interactive");
      const missing: string[] = [];
      for (const o of rendered) {
        const res = await cluster.api(
          "GET",
          apiPath(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name),
        );
        if (res.status !== 200) missing.push(`${o.kind}/${o.metadata.name}: HTTP ${res.status}`);
      }
      expect(missing).toEqual([]);
      const deployments = await cluster.api("GET", apiPath("apps/v1", "Deployment", NS));
      expect((deployments.body as { items: unknown[] }).items).toHaveLength(SERVICES);
    });

    /** GET one rendered object back from the API server. */
    const getObject = async (key: string): Promise<Record<string, unknown>> => {
      const o = rendered.find((x) => keyOf(x) === key);
      if (o === undefined) throw new Error(`${key} is not a rendered object`);
      const res = await cluster.api(
        "GET",
        apiPath(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name),
      );
      expect(res.status).toBe(200);
      return res.body as Record<string, unknown>;
    };

    const LISTED: readonly (readonly [string, string])[] = [
      ["apps/v1", "Deployment"],
      ["v1", "Service"],
      ["v1", "ConfigMap"],
      ["networking.k8s.io/v1", "NetworkPolicy"],
      ["autoscaling/v2", "HorizontalPodAutoscaler"],
      ["v1", "PersistentVolumeClaim"],
      ["policy/v1", "PodDisruptionBudget"],
    ];
    /**
     * What `kubectl get deploy,svc,cm,netpol,hpa,pvc,pdb,storageclass -n NS -o json` prints: a List of the API
     * server's objects, each with its apiVersion and kind (a collection GET leaves them off the
     * items; kubectl puts them back), server-side defaults and all.
     */
    const liveList = async (): Promise<{ apiVersion: string; kind: string; items: unknown[] }> => {
      const items: unknown[] = [];
      for (const [apiVersion, kind] of LISTED) {
        const list = await cluster.api("GET", apiPath(apiVersion, kind, NS));
        expect(list.status).toBe(200);
        for (const item of (list.body as { items: Record<string, unknown>[] }).items)
          items.push({ apiVersion, kind, ...item });
      }
      const classes = await cluster.api("GET", apiPath("storage.k8s.io/v1", "StorageClass", undefined));
      for (const item of (classes.body as { items: Record<string, unknown>[] }).items)
        items.push({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", ...item });
      return { apiVersion: "v1", kind: "List", items };
    };
    /**
     * No controller or kubelet runs here. Do what they would: the HPA controller raises a
     * Deployment to its HPA's minReplicas (the render leaves replicas out when an HPA owns it, and
     * the API server defaults it to 1); the kubelets report every pod ready.
     */
    const markReady = async (): Promise<void> => {
      const hpas = await cluster.api("GET", apiPath("autoscaling/v2", "HorizontalPodAutoscaler", NS));
      for (const h of (
        hpas.body as { items: { spec: { minReplicas?: number; scaleTargetRef: { name: string } } }[] }
      ).items) {
        const p = apiPath("apps/v1", "Deployment", NS, h.spec.scaleTargetRef.name);
        const d = (await cluster.api("GET", p)).body as { spec: { replicas?: number } };
        const min = h.spec.minReplicas ?? 1;
        if ((d.spec.replicas ?? 1) < min)
          expect((await cluster.api("PUT", p, { ...d, spec: { ...d.spec, replicas: min } })).status).toBe(
            200,
          );
      }
      const list = await cluster.api("GET", apiPath("apps/v1", "Deployment", NS));
      for (const d of (list.body as { items: { metadata: { name: string }; spec: { replicas?: number } }[] })
        .items) {
        const n = d.spec.replicas ?? 1;
        const res = await cluster.api(
          "PUT",
          `${apiPath("apps/v1", "Deployment", NS, d.metadata.name)}/status`,
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            ...d,
            status: { replicas: n, readyReplicas: n, availableReplicas: n, updatedReplicas: n },
          },
        );
        expect(res.status).toBe(200);
      }
    };
    interface Verdict {
      mitigation: { passed: boolean; matchesBaseline: boolean; violations: string[] } | null;
    }
    /** `slop oracle --live` over what the API server holds now (the SLO itself is met). */
    const oracleOnLive = async (incidentFile: string, tag: string): Promise<Verdict> => {
      const live = path.join(tmp, `live-${tag}.json`);
      fs.writeFileSync(live, JSON.stringify(await liveList()));
      const answer = path.join(tmp, "answer.json");
      fs.writeFileSync(
        answer,
        JSON.stringify({ detected: true, localization: ["B"], kind: "wrong-target-port" }),
      );
      const measured = path.join(tmp, "measured.json");
      fs.writeFileSync(measured, JSON.stringify({ successRate: 1, p99Ms: 10 }));
      const r = await slop(
        "oracle",
        "--config",
        slopConfig("42", SERVICES),
        "--incident",
        incidentFile,
        "--answer",
        answer,
        "--live",
        live,
        "--measured",
        measured,
      );
      if (r.code !== 0) throw new Error(`slop oracle exited ${r.code}:\n${tailOf(r)}`);
      return JSON.parse(r.stdout) as Verdict;
    };

    // One kind per object kind an incident patches: a Deployment (replicas), a Service (targetPort),
    // a ConfigMap (replaced, and its Deployment rolls), a NetworkPolicy. The PVC kind has a test of
    // its own below. tests/pulumi/incident.test.ts covers every kind under mocks.
    const INCIDENT_KINDS = [
      "replicas-zero",
      "wrong-target-port",
      "broken-config",
      "network-policy-block",
    ] as const;

    it.each(INCIDENT_KINDS)(
      "`pulumi config set incident FILE` (%s): preview --diff changes the same objects as `slop diff --incident`",
      async (kind) => {
        const cfg = slopConfig("42", SERVICES);
        const file = path.join(tmp, `incident-${kind}.json`);
        const g = await slop("incident", "generate", "--config", cfg, "--kind", kind, "--out", file);
        expect(g.code).toBe(0);
        await pulumi("config", "set", "incident", file);
        const sets = stepSets(await preview());
        const expected = slopSets(await slopDiffJson(cfg, cfg, "--incident", file));
        expect(expected.updated.length).toBeGreaterThan(0);
        expectSameAsSlopDiff(sets, expected);
        expect(sets.created).toEqual([]);
        expect(sets.deleted).toEqual([]);
      },
    );

    // storageClassName is immutable and a claim in use cannot be deleted (pvc-protection), so the
    // incident moves the database to a new claim in the missing class: preview --diff creates that
    // claim, rolls the Deployment and deletes the old claim, as `slop diff --incident` says.
    it("pvc-bad-storage-class: preview --diff is `slop diff --incident` (a new claim in the missing class, the old one deleted); up applies it, and rm incident + up restores the claim with the default class", async () => {
      const cfg = slopConfig("42", SERVICES);
      const file = path.join(tmp, "incident-pvc.json");
      expect(
        (
          await slop(
            "incident",
            "generate",
            "--config",
            cfg,
            "--kind",
            "pvc-bad-storage-class",
            "--out",
            file,
          )
        ).code,
      ).toBe(0);
      const expected = slopSets(await slopDiffJson(cfg, cfg, "--incident", file));
      expect(expected.created).toHaveLength(1);
      expect(expected.deleted).toHaveLength(1);
      const [badKey] = expected.created;
      const [claimKey] = expected.deleted;
      expect(badKey).toMatch(/^v1\/PersistentVolumeClaim\//);
      expect(claimKey).toMatch(/^v1\/PersistentVolumeClaim\//);
      expect(expected.updated.some((k) => k.startsWith("apps/v1/Deployment/"))).toBe(true);
      /** The claim's class, or null when the API server has no such claim. */
      const classOf = async (k: string): Promise<string | null | undefined> => {
        const [ns, name] = k.split("/").slice(2);
        const res = await cluster.api("GET", apiPath("v1", "PersistentVolumeClaim", ns, name));
        if (res.status === 404) return null;
        expect(res.status).toBe(200);
        return (res.body as { spec: { storageClassName?: string } }).spec.storageClassName;
      };
      expect(await classOf(claimKey)).toBe("standard");

      await pulumi("config", "set", "incident", file);
      expectSameAsSlopDiff(stepSets(await preview()), expected);
      await pulumi("up", "--yes", "--skip-preview", "--non-interactive");
      const { fault } = JSON.parse(fs.readFileSync(file, "utf8")) as {
        fault: { params: { storageClassName: string } };
      };
      expect(await classOf(badKey)).toBe(fault.params.storageClassName);
      expect(await classOf(claimKey)).toBeNull();

      await pulumi("config", "rm", "incident");
      await pulumi("up", "--yes", "--skip-preview", "--non-interactive");
      expect(await classOf(claimKey)).toBe("standard");
      expect(await classOf(badKey)).toBeNull();
      const after = stepSets(await preview());
      expect([...after.created, ...after.updated, ...after.replaced, ...after.deleted]).toEqual([]);
    });

    it("`pulumi config set incident 7` (an incident seed) is the incident `slop incident generate --incident-seed 7` writes", async () => {
      const cfg = slopConfig("42", SERVICES);
      const file = path.join(tmp, "incident-seed-7.json");
      expect(
        (await slop("incident", "generate", "--config", cfg, "--incident-seed", "7", "--out", file)).code,
      ).toBe(0);
      await pulumi("config", "set", "incident", "7");
      const sets = stepSets(await preview());
      const expected = slopSets(await slopDiffJson(cfg, cfg, "--incident", file));
      // A runtime kind rewrites the target's ConfigMap; a Kubernetes kind patches its objects.
      expect(expected.updated.length).toBeGreaterThan(0);
      expectSameAsSlopDiff(sets, expected);
    });

    it("up with an incident applies it in the API server; `pulumi config rm incident` and up restore the baseline", async () => {
      const cfg = slopConfig("42", SERVICES);
      const file = path.join(tmp, "incident-up.json");
      expect(
        (await slop("incident", "generate", "--config", cfg, "--kind", "wrong-target-port", "--out", file))
          .code,
      ).toBe(0);
      const incident = JSON.parse(fs.readFileSync(file, "utf8")) as {
        fault: { target: { service: string } };
      };
      const spec = JSON.parse((await slop("generate", "--config", cfg)).stdout) as {
        services: { id: string; name: string }[];
      };
      const name = spec.services.find((s) => s.id === incident.fault.target.service)?.name;
      expect(name).toBeDefined();
      const serviceKey = `v1/Service/${NS}/${name}`;
      const portsOf = (svc: Record<string, unknown>) =>
        (svc.spec as { ports: { name?: string; targetPort: unknown }[] }).ports.map((p) => p.targetPort);
      const before = portsOf(await getObject(serviceKey));
      await markReady();
      // The mitigation oracle on the API server's own objects (defaults filled in): the baseline passes.
      const baseline = await oracleOnLive(file, "baseline");
      expect(baseline.mitigation?.violations).toEqual([]);
      expect(baseline.mitigation?.passed).toBe(true);

      await pulumi("config", "set", "incident", file);
      const forward = stepSets(await preview());
      expect(forward.updated).toContain(serviceKey);
      await pulumi("up", "--yes", "--skip-preview", "--non-interactive");
      const during = portsOf(await getObject(serviceKey));
      expect(during).not.toEqual(before);
      await markReady();
      // The fault is live: the oracle names the Service's ports, and nothing else.
      const faulty = await oracleOnLive(file, "incident");
      expect(faulty.mitigation?.passed).toBe(false);
      expect(faulty.mitigation?.violations).toEqual([`${serviceKey} spec.ports differs from the baseline`]);
      // What the API server holds is what slop render --incident ... would hold: the patched object.
      expect(stepSets(await preview()).updated).toEqual([]);

      await pulumi("config", "rm", "incident");
      const back = stepSets(await preview());
      expect(back.updated).toEqual(forward.updated);
      expect(back.created).toEqual([]);
      expect(back.deleted).toEqual([]);
      await pulumi("up", "--yes", "--skip-preview", "--non-interactive");
      expect(portsOf(await getObject(serviceKey))).toEqual(before);
      const after = stepSets(await preview());
      expect([...after.created, ...after.updated, ...after.replaced, ...after.deleted]).toEqual([]);
      await markReady();
      expect((await oracleOnLive(file, "restored")).mitigation?.passed).toBe(true);
    });

    it("gaming the mitigation oracle on the API server fails it: a Deployment scaled to zero, a NetworkPolicy deleted; up --refresh repairs it", async () => {
      const file = path.join(tmp, "incident-up.json");
      const spec = JSON.parse((await slop("generate", "--config", slopConfig("42", SERVICES))).stdout) as {
        services: { id: string; name: string }[];
      };
      const name = spec.services[1].name;
      const depKey = `apps/v1/Deployment/${NS}/${name}`;
      const depPath = apiPath("apps/v1", "Deployment", NS, name);
      const dep = (await cluster.api("GET", depPath)).body as { spec: { replicas: number } };
      const replicas = dep.spec.replicas;
      expect((await cluster.api("PUT", depPath, { ...dep, spec: { ...dep.spec, replicas: 0 } })).status).toBe(
        200,
      );
      const scaled = await oracleOnLive(file, "scaled");
      expect(scaled.mitigation?.passed).toBe(false);
      expect(scaled.mitigation?.violations.some((v) => v.startsWith(`${depKey} spec.replicas 0 <`))).toBe(
        true,
      );
      const back = (await cluster.api("GET", depPath)).body as { spec: { replicas: number } };
      expect((await cluster.api("PUT", depPath, { ...back, spec: { ...back.spec, replicas } })).status).toBe(
        200,
      );
      await markReady();

      const npPath = apiPath("networking.k8s.io/v1", "NetworkPolicy", NS, name);
      expect((await cluster.api("DELETE", npPath)).status).toBe(200);
      const opened = await oracleOnLive(file, "no-policy");
      expect(opened.mitigation?.passed).toBe(false);
      expect(opened.mitigation?.violations).toEqual([
        `networking.k8s.io/v1/NetworkPolicy/${NS}/${name} is missing`,
      ]);
      // The repair a user would run: refresh finds the policy gone, and up puts it back (owned by
      // Pulumi's field manager again, so later applies do not conflict).
      await pulumi("up", "--refresh", "--yes", "--skip-preview", "--non-interactive");
      expect((await cluster.api("GET", npPath)).status).toBe(200);
      expect((await oracleOnLive(file, "put-back")).mitigation?.passed).toBe(true);
    });

    it("`pulumi config set seed 43`, then `pulumi preview --diff`: the same created/changed/deleted sets as `slop diff 42 43`; changed ConfigMaps are replaced, and slop's rollouts name them", async () => {
      await pulumi("config", "set", "seed", "43");
      const sets = stepSets(await preview());
      const diff = await slopDiffJson(slopConfig("42", SERVICES), slopConfig("43", SERVICES));
      expectSameAsSlopDiff(sets, slopSets(diff));
      // Every replaced ConfigMap rolls its Deployment, which slop diff lists as a rollout naming it.
      const causes = diff.resources.changed.flatMap((c) =>
        c.fields.flatMap((f) => (f.rollout === undefined ? [] : [f.rollout])),
      );
      expect(causes.sort()).toEqual(sets.replaced);
      expect(sets.created.length + sets.updated.length + sets.replaced.length).toBeGreaterThan(0);
      // The provider treats ConfigMap data as immutable (enableConfigMapMutable is off): a change replaces it.
      // A Deployment's selector never changes with the seed (it is the service's name), so Deployments update in place.
      expect(sets.replaced.length).toBeGreaterThan(0);
      for (const k of sets.replaced) expect(k).toMatch(/^v1\/ConfigMap\//);
      for (const k of sets.updated) expect(k).not.toMatch(/^v1\/ConfigMap\//);
    });

    it("services N -> N+1: the same sets as `slop diff`; only the new service, the gateway and the callees' policies change", async () => {
      await pulumi("config", "set", "seed", "42");
      await pulumi("config", "set", "services", String(SERVICES + 1));
      const sets = stepSets(await preview());
      const diff = await slopDiffJson(slopConfig("42", SERVICES), slopConfig("42", SERVICES + 1));
      expectSameAsSlopDiff(sets, slopSets(diff));
      expect(sets.deleted).toEqual([]);
      // Who may change, from the spec of N+1: the new service's objects are created; the gateway
      // (the one service whose paths change) is updated; a callee of the new service gets its
      // NetworkPolicy widened to admit the newcomer. Nothing else is touched.
      const spec = JSON.parse(
        (await slop("generate", "--config", slopConfig("42", SERVICES + 1))).stdout,
      ) as {
        gateway: string;
        services: { id: string; name: string }[];
      };
      const nameOf = new Map(spec.services.map((s) => [s.id, s.name]));
      const gateway = nameOf.get(spec.gateway);
      const added = diff.services.added.map((s) => s.name);
      expect(added).toHaveLength(1);
      const changedServices = diff.services.changed.map((s) => s.name);
      expect(changedServices).toEqual([gateway]);
      const calleesOfNew = diff.edges.added
        .filter((e) => nameOf.get(e.caller) === added[0])
        .map((e) => nameOf.get(e.callee));
      const nameOfKey = (k: string) => k.split("/").slice(-1)[0];
      const kindOfKey = (k: string) => k.split("/").slice(-3, -2)[0];
      for (const k of sets.created) expect(nameOfKey(k)).toBe(added[0]);
      expect(sets.created.length).toBeGreaterThanOrEqual(4);
      for (const k of [...sets.updated, ...sets.replaced]) {
        const owner = nameOfKey(k);
        const allowed =
          changedServices.includes(owner) ||
          (kindOfKey(k) === "NetworkPolicy" && calleesOfNew.includes(owner));
        if (!allowed)
          throw new Error(`N -> N+1 changed ${k}, which is neither the gateway's nor a callee's policy`);
      }
      // The gateway's ConfigMap (its new route) is replaced, and its Deployment rolls (config hash).
      expect(sets.replaced).toContain(`v1/ConfigMap/${NS}/${gateway}`);
      expect(sets.updated).toContain(`apps/v1/Deployment/${NS}/${gateway}`);
    });

    /** What the objects of the system's kinds in the namespace are, as objectKeys, sorted. */
    const liveKeys = async (): Promise<string[]> => {
      const keys: string[] = [];
      for (const [apiVersion, kind] of [
        ["v1", "ConfigMap"],
        ["v1", "PersistentVolumeClaim"],
        ["apps/v1", "Deployment"],
        ["v1", "Service"],
        ["autoscaling/v2", "HorizontalPodAutoscaler"],
        ["policy/v1", "PodDisruptionBudget"],
        ["networking.k8s.io/v1", "NetworkPolicy"],
      ]) {
        const list = await cluster.api("GET", apiPath(apiVersion, kind, NS));
        for (const item of (list.body as { items?: { metadata: { name: string } }[] }).items ?? [])
          keys.push(`${apiVersion}/${kind}/${NS}/${item.metadata.name}`);
      }
      return keys.sort();
    };

    /** destroy: nothing left in the namespace, the namespace gone, the stack state empty. */
    const destroyAndCheck = async (): Promise<void> => {
      await pulumi("destroy", "--yes", "--skip-preview", "--non-interactive");
      expect(await liveKeys()).toEqual([]);
      // No namespace controller runs here: once the namespace is empty, do what it would do.
      const ns = await cluster.api("GET", `/api/v1/namespaces/${NS}`);
      if (ns.status === 200) {
        const obj = ns.body as { status?: { phase?: string }; spec?: { finalizers?: string[] } };
        expect(obj.status?.phase).toBe("Terminating");
        await cluster.api("PUT", `/api/v1/namespaces/${NS}/finalize`, {
          ...obj,
          spec: { ...obj.spec, finalizers: [] },
        });
      }
      expect((await cluster.api("GET", `/api/v1/namespaces/${NS}`)).status).toBe(404);
      const stack = JSON.parse((await pulumi("stack", "export")).stdout) as {
        deployment: { resources?: unknown[] };
      };
      expect(stack.deployment.resources ?? []).toEqual([]);
    };

    it("destroy leaves nothing in the namespace, and the namespace is gone", async () => {
      await pulumi("config", "set", "services", String(SERVICES));
      await destroyAndCheck();
    });

    it("registration grouped: up creates exactly the rendered objects through ConfigGroups, preview --diff after seed 43 is slop diff's, destroy removes them", async () => {
      await pulumi("config", "set", "registration", "grouped");
      await pulumi("up", "--yes", "--skip-preview", "--non-interactive");
      const renderedKeys = rendered
        .filter((o) => o.kind !== "Namespace")
        .map(keyOf)
        .sort();
      expect(await liveKeys()).toEqual(renderedKeys);
      expect((await cluster.api("GET", `/api/v1/namespaces/${NS}`)).status).toBe(200);
      // In the state: the provider registered each object as a child of a ConfigGroup, named
      // `system:<namespace>/<name>`; the Deployments' group depends on the other objects' group.
      interface StateResource {
        urn: string;
        type: string;
        parent?: string;
        dependencies?: string[];
      }
      const state = JSON.parse((await pulumi("stack", "export")).stdout) as {
        deployment: { resources: StateResource[] };
      };
      const res = state.deployment.resources;
      const groups = res.filter((r) => r.type === "kubernetes:yaml/v2:ConfigGroup");
      const urnOf = (n: string) => groups.find((g) => g.urn.endsWith(`::${n}`))?.urn;
      expect(groups.map((g) => g.urn.split("::").pop()).sort()).toEqual([
        "system-deployments-0",
        "system-objects-0",
      ]);
      const namespaceUrn = res.find((r) => r.type === "kubernetes:core/v1:Namespace")?.urn;
      expect(groups.find((g) => g.urn === urnOf("system-deployments-0"))?.dependencies).toEqual(
        expect.arrayContaining([namespaceUrn, urnOf("system-objects-0")]),
      );
      const children = res.filter((r) => r.parent !== undefined && groups.some((g) => g.urn === r.parent));
      expect(children.map((c) => c.urn.split("::").pop()).sort()).toEqual(
        rendered
          .filter((o) => o.kind !== "Namespace")
          .map((o) => `system:${NS}/${o.metadata.name}`)
          .sort(),
      );
      for (const c of children) {
        const want = c.type === "kubernetes:apps/v1:Deployment" ? "system-deployments-0" : "system-objects-0";
        expect(c.parent).toBe(urnOf(want));
      }

      await pulumi("config", "set", "seed", "43");
      const sets = stepSets(await preview());
      expectSameAsSlopDiff(sets, await slopDiff(slopConfig("42", SERVICES), slopConfig("43", SERVICES)));
      expect(sets.replaced.length).toBeGreaterThan(0);

      await pulumi("config", "set", "seed", "42");
      await destroyAndCheck();
      await pulumi("config", "rm", "registration");
    });
  });
}
