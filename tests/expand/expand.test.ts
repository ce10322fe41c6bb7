import { expand, expandEach, KUBE_KINDS, objectKey } from "../../core/expand";
import type { Deployment, KubeObject } from "../../core/expand";
import { serviceConfigJson } from "../../core/k8s/config-map";
import { isDnsLabel } from "../../core/names";
import { runtimeConfig } from "../../core/runtime-config";
import { GRPC_PORT, METRICS_PORT } from "../../core/types";
import type { ServiceSpec, SystemSpec } from "../../core/types";
import { buildSpec, sampleSpec } from "./fixtures";
import { find, ofKind, writesData } from "./helpers";
import { validateAll, validateObject } from "./validate";

const spec = sampleSpec();
const objects = expand(spec);
const svcCases = spec.services.map((s) => [s.id, s] as const);
const container = (d: Deployment) => d.spec?.template.spec?.containers[0] ?? { name: "missing" };

describe("expand: schema validity", () => {
  it("every object validates against the Kubernetes OpenAPI schema", () => {
    expect(() => validateAll(objects)).not.toThrow();
    expect(new Set(objects.map((o) => o.kind))).toEqual(new Set(KUBE_KINDS));
  });

  it.each([
    ["a string replicas", (d: Deployment) => Object.assign(d.spec ?? {}, { replicas: "3" })],
    [
      "a gRPC probe without a port",
      (d: Deployment) => Object.assign(container(d).readinessProbe ?? {}, { grpc: {} }),
    ],
    ["no selector", (d: Deployment) => delete (d.spec as { selector?: unknown }).selector],
    [
      "containers that are not a list",
      (d: Deployment) => Object.assign(d.spec?.template.spec ?? {}, { containers: "x" }),
    ],
  ])("a Deployment with %s fails validation", (_name, breakIt) => {
    const broken = JSON.parse(JSON.stringify(find(objects, "Deployment", "svc-b"))) as Deployment;
    breakIt(broken);
    expect(() => validateObject("Deployment", broken)).toThrow(/Deployment\/svc-b is not valid/);
  });

  it("a NetworkPolicy port with a non-number protocol fails validation", () => {
    const broken = JSON.parse(JSON.stringify(find(objects, "NetworkPolicy", "svc-b")));
    broken.spec.ingress[0].ports[0].protocol = 6;
    expect(() => validateObject("NetworkPolicy", broken)).toThrow(/not valid/);
  });
});

describe("expand: order, identity, labels", () => {
  it("emits the Namespace first, then per service ConfigMap, PVC?, Deployment, Service, HPA?, PDB?, NetworkPolicy", () => {
    expect(objects.map(objectKey)).toEqual([
      "v1/Namespace/slop",
      ...spec.services.flatMap((s) => [
        `v1/ConfigMap/slop/${s.name}`,
        ...(s.id === "D" ? [`v1/PersistentVolumeClaim/slop/${s.name}-data`] : []),
        `apps/v1/Deployment/slop/${s.name}`,
        `v1/Service/slop/${s.name}`,
        ...(s.hpa ? [`autoscaling/v2/HorizontalPodAutoscaler/slop/${s.name}`] : []),
        ...((s.hpa?.minReplicas ?? s.replicas) > 1 ? [`policy/v1/PodDisruptionBudget/slop/${s.name}`] : []),
        `networking.k8s.io/v1/NetworkPolicy/slop/${s.name}`,
      ]),
    ]);
  });

  it("expandEach builds the same objects one service at a time, and checks its input before the first", () => {
    const each = expandEach(spec)[Symbol.iterator]();
    expect(each.next().value).toEqual(objects[0]);
    expect([objects[0], ...{ [Symbol.iterator]: () => each }]).toEqual(objects);
    const svc0 = spec.services[0] as ServiceSpec;
    const unknownCallee = { ...spec, services: [{ ...svc0, calls: ["ZZZ"] }, ...spec.services.slice(1)] };
    expect(() => expandEach(unknownCallee)).toThrow(/unknown id "ZZZ"/);
    expect(() => expandEach(spec, { extraCallPorts: [0] })).toThrow(/extraCallPorts/);
  });

  it("keys are unique and every name is a DNS label of at most 63 characters", () => {
    const keys = objects.map(objectKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of objects) expect(isDnsLabel(o.metadata.name)).toBe(true);
  });

  it("is deterministic and canonical (sorted keys at every level)", () => {
    expect(JSON.stringify(expand(sampleSpec()))).toBe(JSON.stringify(objects));
    const sortedKeys = (v: unknown): boolean =>
      Array.isArray(v)
        ? v.every(sortedKeys)
        : v === null || typeof v !== "object"
          ? true
          : Object.keys(v).join("\0") === Object.keys(v).sort().join("\0") &&
            Object.values(v).every(sortedKeys);
    expect(objects.every(sortedKeys)).toBe(true);
  });

  it("shares no object or array between two places of the output (safe to mutate one object)", () => {
    const seen = new Set<object>();
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== "object") return;
      expect(seen.has(v)).toBe(false);
      seen.add(v);
      Object.values(v).forEach(walk);
    };
    expand(sampleSpec({ imagePullSecrets: ["regcred"] }), {
      extraEgressNamespaces: ["istio-system"],
    }).forEach(walk);
    expect(seen.size).toBeGreaterThan(objects.length * 10);
  });

  it("puts the recommended labels and the service id on every per-service object", () => {
    for (const o of objects.slice(1)) {
      const svc = spec.services.find((s) => s.id === o.metadata.labels["slop.dev/service-id"]) as ServiceSpec;
      expect(svc).toBeDefined();
      expect(o.metadata.labels).toEqual({
        "app.kubernetes.io/name": svc.name,
        "app.kubernetes.io/part-of": "k8s-slop",
        "app.kubernetes.io/component": svc.class,
        "app.kubernetes.io/managed-by": "k8s-slop",
        "slop.dev/service-id": svc.id,
      });
      expect(o.metadata.namespace).toBe("slop");
    }
  });

  it("labels and annotates the Namespace, letting caller labels win", () => {
    const ns = expand(spec, {
      namespaceLabels: { "istio-injection": "enabled", "pod-security.kubernetes.io/warn": "baseline" },
      namespaceAnnotations: { "linkerd.io/inject": "enabled" },
    })[0];
    expect(ns.kind).toBe("Namespace");
    expect(ns.metadata.labels).toMatchObject({
      "app.kubernetes.io/part-of": "k8s-slop",
      "app.kubernetes.io/managed-by": "k8s-slop",
      "istio-injection": "enabled",
      "pod-security.kubernetes.io/warn": "baseline",
    });
    expect(ns.metadata.annotations).toEqual({ "linkerd.io/inject": "enabled" });
    expect(objects[0].metadata.annotations).toBeUndefined();
  });
});

describe("expand: ConfigMap and config hash", () => {
  it.each(svcCases)("ConfigMap of %s carries exactly runtimeConfig() as service.json", (_id, svc) => {
    const cm = find(objects, "ConfigMap", svc.name);
    expect(JSON.parse(cm.data?.["service.json"] ?? "")).toEqual(runtimeConfig(spec, svc));
    expect(cm.data?.["service.json"]).toContain('"paths": [\n');
  });

  const hashOf = (objs: readonly KubeObject[], name: string): string =>
    find(objs, "Deployment", name).spec?.template.metadata?.annotations?.["slop.dev/config-hash"] ?? "";

  it("the hash changes iff service.json changes", () => {
    const changed = buildSpec(
      spec.services.map((s) => ({
        id: s.id,
        class: s.class,
        calls: s.calls,
        paths: s.id === "C" ? ["noop", "mem,E"] : s.paths,
        replicas: s.replicas,
        hpa: s.hpa,
        nodePool: s.nodePool,
        annotations: s.annotations,
      })),
    );
    const after = expand(changed);
    for (const s of spec.services) {
      const before = serviceConfigJson(spec, s);
      const now = serviceConfigJson(changed, changed.services.find((x) => x.id === s.id) as ServiceSpec);
      expect(hashOf(after, s.name) !== hashOf(objects, s.name)).toBe(before !== now);
      expect(hashOf(objects, s.name)).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(hashOf(after, "svc-c")).not.toBe(hashOf(objects, "svc-c"));
  });

  it("a config-wide change (requestTimeoutMs) changes every hash", () => {
    const after = expand(sampleSpec({ requestTimeoutMs: 1234 }));
    for (const s of spec.services) expect(hashOf(after, s.name)).not.toBe(hashOf(objects, s.name));
  });
});

describe("expand: Deployment", () => {
  it.each(svcCases)("%s: image, args, ports, native gRPC probes, env, config mount", (_id, svc) => {
    const d = find(objects, "Deployment", svc.name);
    const pod = d.spec?.template.spec;
    const [c] = pod?.containers ?? [];
    expect(pod?.containers).toHaveLength(1);
    expect(c.image).toBe(spec.config.image);
    expect(c.args).toEqual(["serve"]);
    expect(c.ports).toEqual([
      { name: "grpc", containerPort: GRPC_PORT, protocol: "TCP" },
      { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
    ]);
    expect(c.readinessProbe?.grpc).toEqual({ port: GRPC_PORT });
    expect(c.livenessProbe?.grpc).toEqual({ port: GRPC_PORT });
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      SLOP_CONFIG: "/etc/slop/service.json",
      SLOP_SERVICE_ID: svc.id,
      OTEL_SERVICE_NAME: svc.name,
      OTEL_TRACES_EXPORTER: "none",
    });
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(c.volumeMounts).toContainEqual({ name: "config", mountPath: "/etc/slop", readOnly: true });
    expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(pod?.volumes).toContainEqual({ name: "config", configMap: { name: svc.name } });
    expect(d.spec?.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": svc.name,
      "app.kubernetes.io/part-of": "k8s-slop",
    });
    expect(d.spec?.template.metadata?.labels).toMatchObject(d.spec?.selector.matchLabels ?? { missing: "" });
  });

  it.each(svcCases)("%s: restricted security context", (_id, svc) => {
    const pod = find(objects, "Deployment", svc.name).spec?.template.spec;
    expect(pod?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod?.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod?.enableServiceLinks).toBe(false);
  });

  it.each(svcCases)("%s: resources equal the spec's, scheduling equals the pool's", (_id, svc) => {
    const pod = find(objects, "Deployment", svc.name).spec?.template.spec;
    expect(pod?.containers[0].resources).toEqual(svc.resources);
    const pool = spec.nodePools.find((p) => p.name === svc.nodePool);
    expect(pod?.nodeSelector).toEqual(pool && Object.keys(pool.labels).length > 0 ? pool.labels : undefined);
    const expected = (pool?.taints ?? []).map((t) => ({
      key: t.key,
      operator: "Equal",
      value: t.value,
      effect: t.effect,
    }));
    expect(pod?.tolerations ?? []).toEqual(expected);
  });

  it.each(svcCases)("%s: replicas omitted iff an HPA manages it; spread iff several pods", (_id, svc) => {
    const d = find(objects, "Deployment", svc.name);
    expect(d.spec?.replicas).toBe(svc.hpa ? undefined : svc.replicas);
    const spread = d.spec?.template.spec?.topologySpreadConstraints;
    if (svc.replicas > 1 || svc.hpa) {
      expect(spread).toEqual([
        expect.objectContaining({
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: d.spec?.selector.matchLabels },
        }),
      ]);
    } else {
      expect(spread).toBeUndefined();
    }
  });

  it.each(svcCases)("%s: pod annotations: prometheus, spec annotations, config hash", (_id, svc) => {
    const ann = find(objects, "Deployment", svc.name).spec?.template.metadata?.annotations;
    expect(ann).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(METRICS_PORT),
      "prometheus.io/path": "/metrics",
      ...svc.annotations,
      "slop.dev/config-hash": expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it("config-wide annotations and pull secrets reach every pod; the config hash cannot be overridden", () => {
    const s = sampleSpec({
      annotations: { "example.com/owner": "qa", "slop.dev/config-hash": "nope" },
      imagePullSecrets: ["regcred", "other"],
    });
    for (const d of ofKind(expand(s), "Deployment")) {
      const ann = d.spec?.template.metadata?.annotations ?? {};
      expect(ann["example.com/owner"]).toBe("qa");
      expect(ann["slop.dev/config-hash"]).toMatch(/^[0-9a-f]{16}$/);
      expect(d.spec?.template.spec?.imagePullSecrets).toEqual([{ name: "regcred" }, { name: "other" }]);
    }
    expect(find(objects, "Deployment", "svc-a").spec?.template.spec?.imagePullSecrets).toBeUndefined();
  });

  it("terminationGracePeriodSeconds covers the preStop pause, the request timeout and the shutdown", () => {
    const pod = (ms: number, name: string) =>
      find(expand(sampleSpec({ requestTimeoutMs: ms })), "Deployment", name).spec?.template.spec;
    const g = (ms: number, name: string) => pod(ms, name)?.terminationGracePeriodSeconds;
    // svc-b runs 3 pods: a 5 s pause; svc-d (1 replica) and svc-f (an HPA from 1) a 20 s one.
    expect(g(5000, "svc-b")).toBe(30);
    expect(g(45000, "svc-b")).toBe(55);
    expect(g(45001, "svc-b")).toBe(56);
    expect(g(5000, "svc-d")).toBe(30);
    expect(g(10000, "svc-f")).toBe(35);
    expect(g(45000, "svc-d")).toBe(70);
  });

  it("a service that may run a single pod pauses longer before SIGTERM, so its replacement is Ready first", () => {
    const preStop = (name: string) =>
      find(expand(spec), "Deployment", name).spec?.template.spec?.containers[0].lifecycle?.preStop?.sleep
        ?.seconds;
    expect(preStop("svc-a")).toBe(5); // an HPA from 2
    expect(preStop("svc-c")).toBe(5); // 2 replicas
    expect(preStop("svc-d")).toBe(20); // 1 replica
    expect(preStop("svc-f")).toBe(20); // an HPA from 1
  });

  it("sets the OTLP exporter on every container when an endpoint is given", () => {
    for (const d of ofKind(expand(spec, { otlpEndpoint: "http://otel.observability:4317" }), "Deployment")) {
      const env = Object.fromEntries(
        (d.spec?.template.spec?.containers[0].env ?? []).map((e) => [e.name, e.value]),
      );
      expect(env).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel.observability:4317",
        OTEL_TRACES_EXPORTER: "otlp",
      });
    }
  });
});

describe("expand: data volumes", () => {
  it.each(svcCases)(
    "%s: data dir only for disk/io services; PVC only for a single-replica db",
    (_id, svc) => {
      const d = find(objects, "Deployment", svc.name);
      const pod = d.spec?.template.spec;
      const env = (pod?.containers[0].env ?? []).map((e) => e.name);
      const dataVol = pod?.volumes?.find((v) => v.name === "data");
      const pvcs = ofKind(objects, "PersistentVolumeClaim").filter(
        (p) => p.metadata.labels["slop.dev/service-id"] === svc.id,
      );
      const wantsPvc = writesData(svc) && svc.class === "db" && svc.replicas === 1 && svc.hpa === null;
      expect(env.includes("SLOP_DATA_DIR")).toBe(writesData(svc));
      expect(pvcs.map((p) => p.metadata.name)).toEqual(wantsPvc ? [`${svc.name}-data`] : []);
      if (!writesData(svc)) expect(dataVol).toBeUndefined();
      else if (wantsPvc) {
        expect(dataVol).toEqual({ name: "data", persistentVolumeClaim: { claimName: `${svc.name}-data` } });
        expect(d.spec?.strategy).toEqual({ type: "Recreate" });
        expect(pvcs[0].spec).toEqual({
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "1Gi" } },
        });
      } else expect(dataVol).toEqual({ name: "data", emptyDir: { sizeLimit: "1Gi" } });
    },
  );

  it("the sample covers a PVC, an emptyDir data volume and no data volume", () => {
    expect(ofKind(objects, "PersistentVolumeClaim").map((p) => p.metadata.name)).toEqual(["svc-d-data"]);
    expect(spec.services.filter(writesData).map((s) => s.id)).toEqual(["D", "E"]);
  });
});

describe("expand: Service, HPA, PDB", () => {
  it.each(svcCases)("%s: ClusterIP Service with named grpc and metrics ports", (_id, svc) => {
    const s = find(objects, "Service", svc.name);
    expect(s.spec?.type).toBe("ClusterIP");
    expect(s.spec?.selector).toEqual({
      "app.kubernetes.io/name": svc.name,
      "app.kubernetes.io/part-of": "k8s-slop",
    });
    expect(s.spec?.ports).toEqual([
      { name: "grpc", port: GRPC_PORT, targetPort: "grpc", protocol: "TCP", appProtocol: "grpc" },
      { name: "metrics", port: METRICS_PORT, targetPort: "metrics", protocol: "TCP", appProtocol: "http" },
    ]);
  });

  it.each(svcCases)("%s: HPA iff svc.hpa, with its bounds and CPU target", (_id, svc) => {
    const hpas = ofKind(objects, "HorizontalPodAutoscaler").filter((h) => h.metadata.name === svc.name);
    if (svc.hpa === null) {
      expect(hpas).toEqual([]);
      return;
    }
    expect(hpas[0].spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: svc.name },
      minReplicas: svc.hpa.minReplicas,
      maxReplicas: svc.hpa.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: svc.hpa.targetCPUUtilizationPercentage },
          },
        },
      ],
    });
  });

  it.each(svcCases)("%s: PDB (minAvailable 1) iff it never runs fewer than two pods", (_id, svc) => {
    const pdbs = ofKind(objects, "PodDisruptionBudget").filter((p) => p.metadata.name === svc.name);
    const floor = svc.hpa ? svc.hpa.minReplicas : svc.replicas;
    expect(pdbs.map((p) => p.spec)).toEqual(
      floor > 1
        ? [
            {
              minAvailable: 1,
              selector: {
                matchLabels: { "app.kubernetes.io/name": svc.name, "app.kubernetes.io/part-of": "k8s-slop" },
              },
            },
          ]
        : [],
    );
  });
});

describe("expand: names", () => {
  const withName = (id: string, name: string): SystemSpec => ({
    ...spec,
    services: spec.services.map((s) => (s.id === id ? { ...s, name } : s)),
  });

  it("shortens a derived name past 63 characters with a stable hash, keeping every name a DNS label", () => {
    const long = "svc-" + "d".repeat(59);
    const objs = expand(withName("D", long));
    const [claim] = ofKind(objs, "PersistentVolumeClaim");
    expect(claim.metadata.name).toHaveLength(63);
    expect(claim.metadata.name).toMatch(/^svc-d+-[0-9a-f]{8}$/);
    expect(find(objs, "Deployment", long).spec?.template.spec?.volumes).toContainEqual({
      name: "data",
      persistentVolumeClaim: { claimName: claim.metadata.name },
    });
    for (const o of objs) expect(isDnsLabel(o.metadata.name)).toBe(true);
    validateAll(objs);
  });

  it.each([
    ["services[B].name", withName("B", "Svc_B"), undefined],
    ["services[B].name", withName("B", "x".repeat(64)), undefined],
    ["services[C].name must be unique", withName("C", "svc-b"), undefined],
    ["config.namespace", sampleSpec({ namespace: "My NS" }), undefined],
    ["observabilityNamespace", spec, { observabilityNamespace: "-obs" }],
    ["extraEgressNamespaces[]", spec, { extraEgressNamespaces: ["istio_system"] }],
    ["extraCallPorts[]", spec, { extraCallPorts: [70000] }],
    ["otlpEndpoint", spec, { otlpEndpoint: "" }],
    ["otlpEndpoint", spec, { otlpEndpoint: "otel:4317" }],
  ])("rejects a bad %s, naming the field and the value", (field, s, opts) => {
    expect(() => expand(s, opts)).toThrow(field);
  });

  it("names the service and the unknown callee", () => {
    const bad = buildSpec([{ id: "A", calls: ["B"] }]);
    expect(() => expand(bad)).toThrow(/A.*calls.*B/);
  });
});
