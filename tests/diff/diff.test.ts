import { diffSystems, diffValues, isEmptyDiff, isNoise, joinKey } from "../../core/diff";
import type { SystemSpec } from "../../core/types";
import { abc, fakeResources, service, system } from "./fixtures";

const diff = (a: SystemSpec, b: SystemSpec) => diffSystems(a, b, fakeResources);

/** abc() with one service replaced via `edit`. */
function editService(id: string, edit: Parameters<typeof service>[1]): SystemSpec {
  const base = abc();
  return { ...base, services: base.services.map((s) => (s.id === id ? { ...s, ...edit } : s)) };
}

describe("diffSystems on hand-built specs", () => {
  it("finds nothing between identical specs", () => {
    const d = diff(abc(), abc());
    expect(isEmptyDiff(d)).toBe(true);
    expect(d.config).toEqual([]);
    expect(d.services).toEqual({ added: [], removed: [], changed: [] });
    expect(d.edges).toEqual({ added: [], removed: [] });
    expect(d.resources).toEqual({ added: [], removed: [], changed: [] });
  });

  it("reports an added service, its edges and objects, and the config key", () => {
    const a = abc();
    const b = system([...a.services, service("D", { calls: ["A"], paths: ["A"] })]);
    const d = diff(a, b);
    expect(d.services.added).toEqual([{ id: "D", name: "svc-d", class: "stateless" }]);
    expect(d.services.removed).toEqual([]);
    expect(d.services.changed).toEqual([]);
    expect(d.edges.added).toEqual([{ caller: "D", callee: "A" }]);
    expect(d.config).toEqual([{ path: "services", from: 3, to: 4 }]);
    expect(d.resources.added).toEqual(["apps/v1/Deployment/slop/svc-d", "v1/ConfigMap/slop/svc-d"]);
    expect(d.summary).toMatchObject({ servicesAdded: 1, edgesAdded: 1, objectsAdded: 2, objectsChanged: 0 });
    expect(isEmptyDiff(d)).toBe(false);
  });

  it("reports a removed service the other way round", () => {
    const d = diff(system([...abc().services, service("D")]), abc());
    expect(d.services.removed).toEqual([{ id: "D", name: "svc-d", class: "stateless" }]);
    expect(d.resources.removed).toHaveLength(2);
  });

  it("reports a removed call edge and the caller's changed paths as sets", () => {
    const d = diff(abc(), editService("B", { calls: [], paths: ["mem", "cpu,cpu"] }));
    expect(d.edges).toEqual({ added: [], removed: [{ caller: "B", callee: "C" }] });
    expect(d.services.changed).toEqual([
      { id: "B", name: "svc-b", pathsAdded: ["cpu,cpu"], pathsRemoved: ["C"], fields: [] },
    ]);
  });

  it("ignores the order of paths", () => {
    const d = diff(abc(), editService("A", { paths: ["cpu", "B,C"] }));
    expect(d.services.changed).toEqual([]);
  });

  it("shows a changed path inside the ConfigMap's JSON document, and the Deployment's rollout", () => {
    const d = diff(abc(), editService("C", { paths: ["disk,io"] }));
    expect(d.services.changed[0]).toMatchObject({ id: "C", pathsAdded: ["disk,io"], pathsRemoved: ["disk"] });
    // The Deployment's config hash changes with the document: its pods roll, which the diff says
    // instead of showing the two hashes.
    expect(d.resources.changed).toEqual([
      {
        key: "apps/v1/Deployment/slop/svc-c",
        fields: [
          {
            path: 'spec.template.metadata.annotations["slop.dev/config-hash"]',
            rollout: "v1/ConfigMap/slop/svc-c",
          },
        ],
      },
      {
        key: "v1/ConfigMap/slop/svc-c",
        fields: [{ path: 'data["service.json"].paths[0]', from: "disk", to: "disk,io" }],
      },
    ]);
    expect(d.summary.objectsChanged).toBe(2);
  });

  it("maps a replica change to spec.replicas on the Deployment", () => {
    const d = diff(abc(), editService("B", { replicas: 3 }));
    expect(d.services.changed).toEqual([
      {
        id: "B",
        name: "svc-b",
        pathsAdded: [],
        pathsRemoved: [],
        fields: [{ path: "replicas", from: 2, to: 3 }],
      },
    ]);
    expect(d.resources.changed).toEqual([
      { key: "apps/v1/Deployment/slop/svc-b", fields: [{ path: "spec.replicas", from: 2, to: 3 }] },
    ]);
  });

  it("names the container resource path of a changed limit", () => {
    const b = editService("B", {
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    });
    const d = diff(abc(), b);
    expect(d.services.changed[0]?.fields).toEqual([
      { path: "resources.limits.cpu", from: "200m", to: "500m" },
    ]);
    expect(d.resources.changed[0]?.fields).toEqual([
      { path: "spec.template.spec.containers[0].resources.limits.cpu", from: "200m", to: "500m" },
    ]);
  });

  it.each([
    ["class", { class: "cache" as const }, undefined],
    ["hpa", { hpa: { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 } }, "hpa"],
    ["nodePool", { nodePool: "data" }, "nodePool"],
    [
      "tolerations",
      {
        tolerations: [
          { key: "slop.dev/pool", operator: "Equal" as const, value: "data", effect: "NoSchedule" as const },
        ],
      },
      "tolerations[0]",
    ],
    ["opCosts", { opCosts: { cpuMs: 9, memMiB: 1, diskKiB: 4, ioOps: 1, netKiB: 1 } }, "opCosts.cpuMs"],
  ])("reports a changed %s", (_name, edit, field) => {
    const d = diff(abc(), editService("B", edit));
    const change = d.services.changed[0];
    expect(d.services.changed).toHaveLength(1);
    if (field === undefined) expect(change?.class).toEqual({ from: "stateless", to: "cache" });
    else expect(change?.fields.map((f) => f.path)).toEqual([field]);
  });

  it("lists config changes with dotted keys and the seed", () => {
    const a = abc();
    const b: SystemSpec = {
      ...a,
      seed: "43",
      config: {
        ...a.config,
        seed: "43",
        classes: { ...a.config.classes, db: { ...a.config.classes.db, replicas: { min: 1, max: 2 } } },
      },
    };
    expect(diff(a, b).config).toEqual([
      { path: "classes.db.replicas.max", from: 1, to: 2 },
      { path: "seed", from: "42", to: "43" },
    ]);
  });
});

describe("diffValues", () => {
  it.each<[string, unknown, unknown, unknown]>([
    ["equal scalars", 1, 1, []],
    ["changed scalar", 1, 2, [{ path: "", from: 1, to: 2 }]],
    ["added key", { a: 1 }, { a: 1, b: 2 }, [{ path: "b", to: 2 }]],
    ["removed key", { a: 1, b: 2 }, { a: 1 }, [{ path: "b", from: 2 }]],
    ["nested", { a: { b: [1, 2] } }, { a: { b: [1, 3] } }, [{ path: "a.b[1]", from: 2, to: 3 }]],
    ["longer array", [1], [1, 2], [{ path: "[1]", to: 2 }]],
    ["type change", { a: [1] }, { a: { x: 1 } }, [{ path: "a", from: [1], to: { x: 1 } }]],
    ["null vs object", { h: null }, { h: { x: 1 } }, [{ path: "h", from: null, to: { x: 1 } }]],
    [
      "named list, same names: index paths",
      { env: [{ name: "A", value: "1" }] },
      { env: [{ name: "A", value: "2" }] },
      [{ path: "env[0].value", from: "1", to: "2" }],
    ],
    [
      "named list, one item inserted: matched by name",
      {
        env: [
          { name: "A", value: "1" },
          { name: "C", value: "3" },
        ],
      },
      {
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
          { name: "C", value: "4" },
        ],
      },
      [
        { path: 'env[name="B"]', to: { name: "B", value: "2" } },
        { path: 'env[name="C"].value', from: "3", to: "4" },
      ],
    ],
    [
      "duplicate names: index paths",
      { v: [{ name: "A" }, { name: "A" }] },
      { v: [{ name: "A" }] },
      [{ path: "v[1]", from: { name: "A" } }],
    ],
    [
      "dotted label key",
      { labels: { "app.kubernetes.io/name": "a" } },
      { labels: { "app.kubernetes.io/name": "b" } },
      [{ path: 'labels["app.kubernetes.io/name"]', from: "a", to: "b" }],
    ],
  ])("%s", (_name, a, b, expected) => {
    expect(diffValues(a, b)).toEqual(expected);
  });

  it("sorts keys so the order of the inputs does not matter", () => {
    expect(diffValues({ b: 1, a: 1 }, { a: 2, b: 2 }).map((f) => f.path)).toEqual(["a", "b"]);
  });

  it("walks values nested 50,000 deep without overflowing the stack", () => {
    const nest = (leaf: number): unknown => {
      let v: unknown = leaf;
      for (let i = 0; i < 50_000; i++) v = i % 2 === 0 ? [v] : { k: v };
      return v;
    };
    const [change] = diffValues(nest(1), nest(2));
    expect(change).toMatchObject({ from: 1, to: 2 });
    expect(change?.path).toMatch(/^k\[0\]\.k\[0\]/);
  });
});

describe("noise and keys", () => {
  it.each([
    ["status.replicas", true],
    ["metadata.resourceVersion", true],
    // A pod template's hash is a real change: the pods roll (reported as a rollout).
    ['spec.template.metadata.annotations["slop.dev/config-hash"]', false],
    ['spec.template.metadata.annotations["checksum/config"]', false],
    ['metadata.annotations["slop.dev/owner"]', false],
    ["spec.replicas", false],
  ])("isNoise(%s) = %s", (path, noise) => {
    expect(isNoise(path)).toBe(noise);
  });

  it.each([
    ["", "a", "a"],
    ["x", "a-b", "x.a-b"],
    ["x", "a.b", 'x["a.b"]'],
    ["x", "a/b", 'x["a/b"]'],
  ])("joinKey(%j, %j) = %j", (prefix, key, expected) => {
    expect(joinKey(prefix, key)).toBe(expected);
  });
});
