/**
 * `registration: "grouped"` (k8s-slop:registration): the System hands its objects to
 * `kubernetes:yaml/v2:ConfigGroup`s, two per registration batch (every object but the Deployments,
 * then the Deployments), and what would be deployed does not change: the groups' `objs` together
 * with the typed Namespace are exactly expand(spec), with the incident, the image override and the
 * extra annotations applied, and exactly what the typed mode registers, object for object.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../core/config";
import { expand, expandByService, objectKey, type KubeObject } from "../../core/expand";
import { generateIncident, incidentPatcher } from "../../core/incidents";
import { generate } from "../../core/spec";
import { installMocks, plain, settle, type Recorded } from "./harness";

const rec = installMocks();
jest.setTimeout(120_000);

const spec = generate(parseConfig({ seed: 42, services: 12, imagePullSecrets: ["slop-registry"] }));
const IMAGE = "registry.example/slop:grouped";
const ANNOTATIONS = { "pulumi.com/skipAwait": "true", "example.com/owner": "bench" };
// A Kubernetes kind that patches a Deployment (so the patch, the image and the annotations meet).
const incident = generateIncident(spec, { incidentSeed: "3", kind: "replicas-zero" });
const GROUP = "kubernetes:yaml/v2:ConfigGroup";

async function registerSystem(
  registration: "typed" | "grouped",
  batch?: number,
  image: pulumi.Input<string> = IMAGE,
): Promise<Recorded[]> {
  const { System } = await import("../../components/system");
  rec.reset();
  const system = new System("system", {
    spec,
    registration,
    registrationBatch: batch,
    incident,
    image,
    pullSecret: '{"auths":{}}',
    objectAnnotations: ANNOTATIONS,
  });
  await system.ready;
  await settle();
  return [...rec.resources];
}

/** What the System must deploy, computed from core alone: expand, incident, annotations, image. */
function expected(): KubeObject[] {
  const patch = incidentPatcher(spec, expand(spec), incident);
  return expand(spec).map((raw) => {
    const o = patch(raw);
    const annotated = {
      ...o,
      metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...ANNOTATIONS } },
    } as KubeObject;
    if (annotated.kind !== "Deployment") return annotated;
    const dspec = annotated.spec ?? fail("a Deployment without spec");
    const pod = dspec.template.spec ?? fail("a Deployment without a pod spec");
    return {
      ...annotated,
      spec: {
        ...dspec,
        template: {
          ...dspec.template,
          spec: { ...pod, containers: pod.containers.map((c) => ({ ...c, image: IMAGE })) },
        },
      },
    } as KubeObject;
  });
}

function fail(what: string): never {
  throw new Error(what);
}

/** A group's objects: its `yaml` input is one JSON document per line (the provider decodes a JSON stream). */
function objsOf(r: Recorded): KubeObject[] {
  expect(r.inputs.objs).toBeUndefined();
  const text = r.inputs.yaml;
  if (typeof text !== "string") throw new Error(`${r.name}: yaml is ${JSON.stringify(text)}`);
  return text.split("\n").map((line) => JSON.parse(line) as KubeObject);
}

describe("System registration: grouped", () => {
  it("registers, per batch of 5 services, an objects group then a deployments group, named and prefixed stably, as JSON text", async () => {
    // The image as an Output (an image the stack builds): the Deployments' text waits for it.
    const all = await registerSystem("grouped", 5, pulumi.output(IMAGE));
    const groups = all.filter((r) => r.type === GROUP);
    expect(groups.map((g) => g.name)).toEqual([
      "system-objects-0",
      "system-deployments-0",
      "system-objects-1",
      "system-deployments-1",
      "system-objects-2",
      "system-deployments-2",
    ]);
    // The prefix is the component's name, not the group's: an object's URN does not depend on its batch.
    for (const g of groups) expect(g.inputs.resourcePrefix).toBe("system");
    // Only the Namespace and the pull Secret are registered by the program itself.
    expect(all.filter((r) => r.type.startsWith("kubernetes:") && r.type !== GROUP).map((r) => r.key)).toEqual(
      [
        "kubernetes:core/v1:Namespace::system-namespace-slop",
        "kubernetes:core/v1:Secret::system-secret-slop-registry",
      ],
    );

    // Batch by batch, in expand's order: the services' objects but Deployments, then their Deployments.
    const want = expected();
    const byKey = new Map(want.map((o) => [objectKey(o), o]));
    const services = [...expandByService(spec)].filter((g) => g.service !== null);
    for (let k = 0; k < 3; k++) {
      const batch = services
        .slice(5 * k, 5 * k + 5)
        .flatMap((g) => g.objects.map((o) => byKey.get(objectKey(o))));
      expect(objsOf(groups[2 * k])).toEqual(batch.filter((o) => o?.kind !== "Deployment"));
      expect(objsOf(groups[2 * k + 1])).toEqual(batch.filter((o) => o?.kind === "Deployment"));
    }
    // Together with the typed Namespace: exactly the expected objects, each once.
    const namespace = all.find((r) => r.type === "kubernetes:core/v1:Namespace");
    const got = [plain(namespace?.inputs) as KubeObject, ...groups.flatMap(objsOf)];
    expect(got.map(objectKey).sort()).toEqual(want.map(objectKey).sort());
    expect(new Map(got.map((o) => [objectKey(o), o]))).toEqual(byKey);
    // The incident, the image and the annotations did reach the objects.
    const deployments = got.filter((o) => o.kind === "Deployment");
    expect(deployments.some((d) => d.spec?.replicas === 0)).toBe(true);
    for (const d of deployments) expect(d.spec?.template.spec?.containers[0].image).toBe(IMAGE);
    for (const o of got) expect(o.metadata.annotations).toMatchObject(ANNOTATIONS);
  });

  it("deploys the same objects as the typed registration, and the same other resources", async () => {
    const typed = await registerSystem("typed");
    const grouped = await registerSystem("grouped");
    // One batch (12 services < REGISTRATION_BATCH): two groups.
    expect(grouped.filter((r) => r.type === GROUP).map((r) => r.name)).toEqual([
      "system-objects-0",
      "system-deployments-0",
    ]);
    const typedObjects = typed
      .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:core/v1:Secret")
      .map((r) => plain(r.inputs) as KubeObject);
    const groupedObjects = [
      ...grouped
        .filter((r) => r.type === "kubernetes:core/v1:Namespace")
        .map((r) => plain(r.inputs) as KubeObject),
      ...grouped.filter((r) => r.type === GROUP).flatMap(objsOf),
    ];
    const keyed = (os: KubeObject[]) => new Map(os.map((o) => [objectKey(o), o]));
    expect(groupedObjects).toHaveLength(typedObjects.length);
    expect(keyed(groupedObjects)).toEqual(keyed(typedObjects));
    const secret = (rs: Recorded[]) => rs.find((r) => r.type === "kubernetes:core/v1:Secret");
    expect(plain(secret(grouped)?.inputs)).toEqual(plain(secret(typed)?.inputs));
  });
});

describe("resource references", () => {
  it("grouped mode asks the engine for URNs, not references (the SDK's own flag); typed mode leaves it alone", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const utils = require("@pulumi/pulumi/utils") as { disableResourceReferences?: unknown };
    // The pinned SDK keeps the flag here; if it moves, grouped previews get slower again (docs/scale.md).
    expect(typeof utils.disableResourceReferences).toBe("boolean");
    utils.disableResourceReferences = false;
    await registerSystem("typed");
    expect(utils.disableResourceReferences).toBe(false);
    await registerSystem("grouped");
    expect(utils.disableResourceReferences).toBe(true);
  });
});

describe("k8s-slop:registration", () => {
  it("is passed from the program's config to the System; a bad value fails naming the key and the allowed values", async () => {
    const { program } = await import("../../components/program");
    rec.reset();
    program({ seed: "42", services: 4, registration: "grouped" });
    await settle();
    expect(rec.resources.filter((r) => r.type === GROUP)).toHaveLength(2);
    rec.reset();
    program({ seed: "42", services: 4 });
    await settle();
    expect(rec.resources.filter((r) => r.type === GROUP)).toHaveLength(0);
    expect(() => program({ seed: "42", services: 4, registration: "batched" })).toThrow(
      'registration must be one of "typed", "grouped" (got "batched")',
    );
  });
});
