/** A Deployment that rolls because its ConfigMap's service.json changed is listed, with the reason. */
import { CONFIG_HASH_PATH, diffObjectGroups, diffObjects } from "../../core/diff";
import type { SystemDiff } from "../../core/diff";
import { CONFIG_HASH_ANNOTATION, CONFIG_VOLUME } from "../../core/k8s/deployment";

type Obj = Readonly<Record<string, unknown>>;

const configMap = (
  name: string,
  doc: unknown,
  labels: Record<string, string> = {},
  namespace = "ns",
): Obj => ({
  apiVersion: "v1",
  data: { "service.json": doc },
  kind: "ConfigMap",
  metadata: { labels, name, namespace },
});

/** A Deployment with the config hash `hash` that mounts the ConfigMap `mounts` as its config volume. */
const deployment = (name: string, hash: string, replicas = 1, mounts = name): Obj => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "ns" },
  spec: {
    replicas,
    template: {
      metadata: { annotations: { [CONFIG_HASH_ANNOTATION]: hash } },
      spec: { volumes: [{ configMap: { name: mounts }, name: CONFIG_VOLUME }] },
    },
  },
});

const key = (o: Obj): string => {
  const m = o.metadata as { name: string; namespace: string };
  return `${String(o.apiVersion)}/${String(o.kind)}/${m.namespace}/${m.name}`;
};

const rollout = (cause: string) => ({ path: CONFIG_HASH_PATH, rollout: cause });
const CM_A = "v1/ConfigMap/ns/a";
const DEPLOY_A = "apps/v1/Deployment/ns/a";
const DOC_CHANGE = { path: 'data["service.json"].x', from: 1, to: 2 };

describe("rollouts", () => {
  it("the config hash's path is the one diffValues reports for the annotation", () => {
    const changed = diffObjects([deployment("a", "h1")], [deployment("a", "h2")], key).changed;
    expect(changed[0]?.fields[0]?.path).toBe(CONFIG_HASH_PATH);
  });

  it.each<[string, Obj[], Obj[], SystemDiff["resources"]["changed"]]>([
    [
      "hash and document change (expand): a rollout instead of two hashes",
      [configMap("a", '{"x":1}'), deployment("a", "h1")],
      [configMap("a", '{"x":2}'), deployment("a", "h2")],
      [
        { key: DEPLOY_A, fields: [rollout(CM_A)] },
        { key: CM_A, fields: [DOC_CHANGE] },
      ],
    ],
    [
      "hashes left empty (diffGroups): the document's change is the rollout",
      [configMap("a", { x: 1 }), deployment("a", "")],
      [configMap("a", { x: 2 }), deployment("a", "")],
      [
        { key: DEPLOY_A, fields: [rollout(CM_A)] },
        { key: CM_A, fields: [DOC_CHANGE] },
      ],
    ],
    [
      "a Deployment with other changes too: the rollout first, then they",
      [configMap("a", { x: 1 }), deployment("a", "", 1)],
      [configMap("a", { x: 2 }), deployment("a", "", 3)],
      [
        { key: DEPLOY_A, fields: [rollout(CM_A), { path: "spec.replicas", from: 1, to: 3 }] },
        { key: CM_A, fields: [DOC_CHANGE] },
      ],
    ],
    [
      "the Deployment compared before its ConfigMap",
      [deployment("a", ""), configMap("a", { x: 1 })],
      [configMap("a", { x: 2 }), deployment("a", "")],
      [
        { key: DEPLOY_A, fields: [rollout(CM_A)] },
        { key: CM_A, fields: [DOC_CHANGE] },
      ],
    ],
    [
      "the ConfigMap it mounts names the cause, whatever its name",
      [configMap("a", { x: 1 }), deployment("b", "", 1, "a")],
      [configMap("a", { x: 2 }), deployment("b", "", 1, "a")],
      [
        { key: "apps/v1/Deployment/ns/b", fields: [rollout(CM_A)] },
        { key: CM_A, fields: [DOC_CHANGE] },
      ],
    ],
    [
      "nothing changes",
      [configMap("a", { x: 1 }), deployment("a", "")],
      [configMap("a", { x: 1 }), deployment("a", "")],
      [],
    ],
    [
      "only the ConfigMap's labels change: the hash covers service.json alone, so nothing rolls",
      [configMap("a", { x: 1 }, { v: "1" }), deployment("a", "")],
      [configMap("a", { x: 1 }, { v: "2" }), deployment("a", "")],
      [{ key: CM_A, fields: [{ path: "metadata.labels.v", from: "1", to: "2" }] }],
    ],
    [
      "a ConfigMap of the same name in another namespace changes: nothing rolls",
      [configMap("a", { x: 1 }, {}, "other"), deployment("a", "")],
      [configMap("a", { x: 2 }, {}, "other"), deployment("a", "")],
      [{ key: "v1/ConfigMap/other/a", fields: [DOC_CHANGE] }],
    ],
    [
      "a hash that changes with no document change is shown as it is",
      [configMap("a", '{"x":1}'), deployment("a", "h1")],
      [configMap("a", '{"x":1}'), deployment("a", "h2")],
      [{ key: DEPLOY_A, fields: [{ path: CONFIG_HASH_PATH, from: "h1", to: "h2" }] }],
    ],
    [
      "equal non-empty hashes: the pod template is the same, so nothing rolls",
      [configMap("a", '{"x":1}'), deployment("a", "h1")],
      [configMap("a", '{"x":2}'), deployment("a", "h1")],
      [{ key: CM_A, fields: [DOC_CHANGE] }],
    ],
  ])("%s", (_name, a, b, expected) => {
    expect(diffObjects(a, b, key).changed).toEqual(expected);
  });

  it("finds the rollout when the ConfigMap and its Deployment are in different groups", () => {
    const side = (doc: unknown) => [
      { service: "A", objects: [configMap("a", doc)] },
      { service: "B", objects: [deployment("a", "")] },
    ];
    expect(diffObjectGroups(side({ x: 1 }), side({ x: 2 }), key).changed).toEqual([
      { key: DEPLOY_A, fields: [rollout(CM_A)] },
      { key: CM_A, fields: [DOC_CHANGE] },
    ]);
  });
});
