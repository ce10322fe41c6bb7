import { ConfigError, DEFAULT_CONFIG } from "../../core/config";
import { checkDeployment, collectRaw, decodeConfigValue, parseDeployConfig } from "../../components/config";

const err = (f: () => unknown): ConfigError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("did not throw");
};

describe("parseDeployConfig", () => {
  it("defaults to an existing cluster, no mesh, every observability part including metrics-server", () => {
    const d = parseDeployConfig({});
    expect(d).toMatchObject({
      cluster: "kubeconfig",
      region: null,
      mesh: "none",
      buildImage: false,
      loadGenerator: false,
      registration: "typed",
    });
    expect(d.observability).toEqual({
      prometheus: true,
      grafana: true,
      tracing: true,
      logs: true,
      // kind and Docker Desktop ship no metrics-server; without one the dev stack's HPAs never act.
      metricsServer: true,
      namespace: "observability",
      // Unset: the kube-prometheus-stack chart; an image runs the builtin Prometheus instead.
      prometheusImage: null,
      // Unset: the collector and Jaeger charts; an image runs the builtin collector instead.
      otelCollectorImage: null,
    });
  });

  it.each([
    ["digitalocean", "nyc3"],
    ["aws", "us-east-1"],
  ])(
    "%s: default region %s, metrics-server on, builds the image when slop:image is unset",
    (cluster, region) => {
      const d = parseDeployConfig({ cluster });
      expect(d.region).toBe(region);
      expect(d.observability.metricsServer).toBe(true);
      expect(d.buildImage).toBe(true);
      expect(parseDeployConfig({ cluster, image: "r/x:1" }).buildImage).toBe(false);
    },
  );

  it("objectAnnotations: string values under valid keys, sorted; none by default", () => {
    expect(parseDeployConfig({}).objectAnnotations).toEqual({});
    const a = parseDeployConfig({ objectAnnotations: { "pulumi.com/skipAwait": "true", b: "1" } });
    expect(Object.entries(a.objectAnnotations)).toEqual([
      ["b", "1"],
      ["pulumi.com/skipAwait", "true"],
    ]);
  });

  it.each<[Record<string, unknown>, string, string]>([
    [{ cluster: "gke" }, "cluster", '"kubeconfig", "digitalocean", "aws"'],
    [{ mesh: "consul" }, "mesh", '"none", "istio", "linkerd"'],
    [{ registration: "group" }, "registration", 'one of "typed", "grouped" (got "group")'],
    [{ prometheus: "yes" }, "prometheus", "boolean"],
    [{ k8sVersion: "latest" }, "k8sVersion", "version prefix"],
    // EKS takes major.minor only; "1.33.1" would fail at `pulumi up`, not here.
    [{ cluster: "aws", k8sVersion: "1.33.1" }, "k8sVersion", 'major.minor like "1.33"'],
    [{ cluster: "digitalocean", k8sVersion: "1.33-do.0" }, "k8sVersion", "exact DOKS version"],
    [{ cluster: "aws", subnetIds: ["subnet-0123abcd"] }, "subnetIds", "at least two"],
    [{ cluster: "aws", subnetIds: ["nope", "subnet-0123abcd"] }, "subnetIds[0]", "subnet id"],
    [{ subnetIds: ["subnet-0123abcd", "subnet-0123abce"] }, "subnetIds", "aws"],
    [{ cluster: "aws", kubeconfig: "/x" }, "kubeconfig", "unset"],
    [{ region: "nyc3" }, "region", "unset"],
    [{ vpcCidr: "10.0.0.0/30" }, "vpcCidr", "8..24"],
    [{ loadRps: 0 }, "loadRps", "1..100000"],
    [{ clusterName: "Bad_Name" }, "clusterName", "DNS label"],
    [{ objectAnnotations: ["x"] }, "objectAnnotations", "annotation key -> string value"],
    [
      { objectAnnotations: { "pulumi.com/skipAwait": true } },
      "objectAnnotations.pulumi.com/skipAwait",
      "a string",
    ],
    [{ objectAnnotations: { "bad key!": "x" } }, "objectAnnotations.bad key!", "annotation key"],
  ])("%j fails on %s", (raw, key, allowed) => {
    const e = err(() => parseDeployConfig(raw));
    expect(e.key).toBe(key);
    expect(e.message).toContain(allowed);
  });
});

it.each([
  ["aws", "1.33"],
  ["digitalocean", "1.33"],
  ["digitalocean", "1.33.1"],
  ["digitalocean", "1.33.1-do.0"],
  ["kubeconfig", "1.33.1"],
])("%s accepts k8sVersion %s", (cluster, k8sVersion) => {
  expect(parseDeployConfig({ cluster, k8sVersion }).k8sVersion).toBe(k8sVersion);
});

describe("checkDeployment", () => {
  const kube = parseDeployConfig({});
  const doks = parseDeployConfig({ cluster: "digitalocean" });
  it("accepts the defaults everywhere", () => {
    expect(() => checkDeployment(DEFAULT_CONFIG, kube)).not.toThrow();
    expect(() => checkDeployment(DEFAULT_CONFIG, doks)).not.toThrow();
  });
  it("rejects a class pinned to a pool nobody creates (its taint no pool carries)", () => {
    const config = {
      ...DEFAULT_CONFIG,
      nodePools: DEFAULT_CONFIG.nodePools.filter((p) => p.name !== "data"),
    };
    const e = err(() => checkDeployment(config, kube));
    expect(e.key).toBe("classes.db.nodePool");
    expect(e.message).toContain('"general"');
  });
  it("rejects pools a cloud cannot create", () => {
    const config = {
      ...DEFAULT_CONFIG,
      nodePools: [{ ...DEFAULT_CONFIG.nodePools[0], nodes: 0 }, DEFAULT_CONFIG.nodePools[1]],
    };
    expect(() => checkDeployment(config, kube)).not.toThrow();
    expect(err(() => checkDeployment(config, doks)).key).toBe("nodePools[0].nodes");
  });
});

describe("collectRaw", () => {
  it("decodes structured values and keeps string keys verbatim", () => {
    const cfg: Record<string, string> = {
      seed: "1e3",
      services: "12",
      k8sVersion: "1.30",
      prometheus: "false",
      classes: '{"db":{"nodePool":null}}',
    };
    expect(collectRaw((k) => cfg[k])).toEqual({
      seed: "1e3",
      services: 12,
      k8sVersion: "1.30",
      prometheus: false,
      classes: { db: { nodePool: null } },
    });
  });
  it("ignores keys it does not know", () =>
    expect(collectRaw((k) => (k === "unknown" ? "1" : undefined))).toEqual({}));
  it.each([
    ["[1,2]", [1, 2]],
    ["not json", "not json"],
    ["true", true],
  ])("decodeConfigValue(%j)", (text, value) => expect(decodeConfigValue(text)).toEqual(value));
});

describe("stackRawConfig", () => {
  it("layers the stack's k8s-slop: values over the project's declarations, replacing objects whole", async () => {
    const { stackRawConfig } = await import("../../components/config");
    const project = {
      services: { type: "integer", description: "n", default: 20 },
      image: { type: "string", description: "no default" },
      "k8s-slop:mesh": "none",
      classes: { type: "object", description: "c", default: { db: { share: 2 }, cache: { share: 2 } } },
      "aws:region": "x",
    };
    const stack = {
      "k8s-slop:services": 8,
      "k8s-slop:seed": "43",
      "k8s-slop:classes": { db: { share: 1 } },
      "slop:seed": "9",
    };
    expect(stackRawConfig(project, stack)).toEqual({
      services: 8,
      mesh: "none",
      seed: "43",
      classes: { db: { share: 1 } },
    });
  });
});
