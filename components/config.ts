/**
 * Deployment configuration: the `k8s-slop:*` keys that say WHERE and HOW a generated system is
 * deployed (cluster provider, region, Kubernetes version, mesh, observability parts, image
 * build), as opposed to SlopConfig, which says WHAT is generated. Pure: no Pulumi, no fs.
 * Errors are ConfigErrors naming the key, the value and what is allowed.
 */
import { CONFIG_KEYS, ConfigError } from "../core/config";
import { DNS_LABEL_RE as DNS_LABEL } from "../core/names";
import type { NodePool, SlopConfig, TaintEffect } from "../core/types";

export const CLUSTER_PROVIDERS = ["kubeconfig", "digitalocean", "aws"] as const;
export type ClusterProvider = (typeof CLUSTER_PROVIDERS)[number];

export const MESHES = ["none", "istio", "linkerd"] as const;
export type Mesh = (typeof MESHES)[number];

/** How System hands its objects to Pulumi (components/system.ts, docs/scale.md). */
export const REGISTRATIONS = ["typed", "grouped"] as const;
export type Registration = (typeof REGISTRATIONS)[number];

export interface ObservabilityConfig {
  /** kube-prometheus-stack (Prometheus, operator, kube-state-metrics) + a PodMonitor. @default true */
  readonly prometheus: boolean;
  /**
   * Instead of the chart, Prometheus as plain objects (components/prometheus-builtin.ts) from this
   * image, for clusters that cannot pull Helm charts. @default null (the chart)
   */
  readonly prometheusImage: string | null;
  /** Grafana with data sources and the generated system's dashboard. @default true */
  readonly grafana: boolean;
  /** OpenTelemetry collector + Jaeger; the OTLP endpoint is passed to the services. @default true */
  readonly tracing: boolean;
  /**
   * Instead of the charts, the collector as plain objects (components/otelcol-builtin.ts) from this
   * image, logging what it receives, no Jaeger. @default null (the charts)
   */
  readonly otelCollectorImage: string | null;
  /** Loki + a log shipper (promtail). @default true */
  readonly logs: boolean;
  /** metrics-server (needed by HPAs). @default true (set false where the cluster has one: k3d/k3s, minikube's addon) */
  readonly metricsServer: boolean;
  /** Namespace of the observability stack. @default "observability" */
  readonly namespace: string;
}

export interface DeployConfig {
  /** @default "kubeconfig" (no cloud resources) */
  readonly cluster: ClusterProvider;
  /** kubeconfig file contents or path for `cluster: kubeconfig`; null = the ambient one. */
  readonly kubeconfig: string | null;
  /** Context inside the kubeconfig; null = its current context. */
  readonly kubeContext: string | null;
  /** Cloud region. @default "nyc3" (digitalocean), "us-east-1" (aws), null (kubeconfig) */
  readonly region: string | null;
  /** Kubernetes version prefix ("1.33"); null = the latest the provider offers. */
  readonly k8sVersion: string | null;
  /** Name of the cloud cluster. @default "slop" */
  readonly clusterName: string;
  /** AWS: existing subnet ids (at least two); empty = the stack creates a VPC. */
  readonly subnetIds: readonly string[];
  /** AWS: CIDR of the VPC the stack creates. @default "10.0.0.0/16" */
  readonly vpcCidr: string;
  /** @default "none" */
  readonly mesh: Mesh;
  readonly observability: ObservabilityConfig;
  /**
   * Build the runtime image from the repo's Dockerfile and push it to a registry the stack
   * creates (DOCR or ECR): true when `k8s-slop:image` is unset on a cloud cluster.
   */
  readonly buildImage: boolean;
  /**
   * When the stack builds the image: on DigitalOcean, an existing DOCR registry of the account to
   * push to (the stack neither creates nor deletes it; the Basic plan allows one registry per
   * account); on AWS, the name of the ECR repository the stack creates. Null (unset): the stack
   * creates a registry (DOCR) or repository (ECR) named after itself (`stackRegistryName`), since a
   * DOCR name must be unique across DigitalOcean and an ECR name within the account and region.
   * @default null
   */
  readonly registryName: string | null;
  /** Deploy a load-generator Job against the gateway. @default false */
  readonly loadGenerator: boolean;
  /** Requests per second of the load-generator Job. @default 50 */
  readonly loadRps: number;
  /** Duration of the load-generator Job in seconds. @default 300 */
  readonly loadDurationSeconds: number;
  /**
   * Extra metadata annotations on every object of the generated system (not the charts), e.g.
   * `pulumi.com/skipAwait: "true"` on an API server without kubelets (tests/e2e). @default {}
   */
  readonly objectAnnotations: Readonly<Record<string, string>>;
  /**
   * Cloud pools: raise each pool's node count to what the capacity check sizes it to (every HPA
   * at its maximum, plus one node) instead of stopping when the system does not fit.
   * @default true on aws (the VPC CNI allows 17 pods on a t3.medium, so pools written for DOKS's
   * 110 pods per node rarely fit), false elsewhere
   */
  readonly sizePools: boolean;
  /**
   * An incident to inject (components/incident.ts): the path of an Incident file (`slop incident
   * generate --out`) or an incident seed drawn against this system; null (unset or "") = the baseline.
   * @default null
   */
  readonly incident: string | null;
  /**
   * "typed": one Pulumi resource per object, registered from Node. "grouped": the objects of each
   * batch of services in `kubernetes:yaml/v2:ConfigGroup`s, which the provider registers (far less
   * work in Node at 1,000+ services; other URNs, so switching a deployed stack needs a destroy
   * first: docs/scale.md). @default "typed"
   */
  readonly registration: Registration;
}

/** Every deploy key as it appears after `slop:` in Pulumi config. */
export const DEPLOY_KEYS = [
  "cluster",
  "kubeconfig",
  "kubeContext",
  "region",
  "k8sVersion",
  "clusterName",
  "subnetIds",
  "vpcCidr",
  "mesh",
  "registryName",
  "prometheus",
  "prometheusImage",
  "grafana",
  "tracing",
  "otelCollectorImage",
  "logs",
  "metricsServer",
  "observabilityNamespace",
  "loadGenerator",
  "loadRps",
  "loadDurationSeconds",
  "objectAnnotations",
  "sizePools",
  "incident",
  "registration",
] as const;

/** Keys read as Pulumi secrets (never passed through the plain raw config). */
export const SECRET_KEYS = ["pullSecret", "grafanaAdminPassword"] as const;

/** Every SlopConfig key (core/types.ts), read from `k8s-slop:*` and handed to parseConfig. */
export const SLOP_KEYS = CONFIG_KEYS;

/** Every key the program reads from its namespace: any other is a typo, refused (not ignored). */
export const PROGRAM_KEYS: ReadonlySet<string> = new Set([...SLOP_KEYS, ...DEPLOY_KEYS, ...SECRET_KEYS]);

/** `sizePools` when unset: on EKS the default pools do not fit without it (see DeployConfig). */
export const DEFAULT_SIZE_POOLS: Readonly<Record<ClusterProvider, boolean>> = {
  kubeconfig: false,
  digitalocean: false,
  aws: true,
};

export const DEFAULT_REGION: Readonly<Record<ClusterProvider, string | null>> = {
  kubeconfig: null,
  digitalocean: "nyc3",
  aws: "us-east-1",
};

const VERSION_PREFIX = /^\d+\.\d+(\.\d+)?$/;
/** EKS takes major.minor only; DOKS also takes a patch prefix or an exact slug ("1.33.1-do.0"). */
const K8S_VERSION: Readonly<Record<ClusterProvider, { re: RegExp; what: string }>> = {
  kubeconfig: { re: VERSION_PREFIX, what: 'a version prefix like "1.33" or "1.33.1"' },
  aws: { re: /^\d+\.\d+$/, what: 'major.minor like "1.33" (EKS takes no patch version)' },
  digitalocean: {
    re: /^\d+\.\d+(\.\d+(-do\.\d+)?)?$/,
    what: 'a version prefix like "1.33" or "1.33.1", or an exact DOKS version like "1.33.1-do.0"',
  },
};
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * A Pulumi config value as stored (always a string) decoded to what the parsers expect:
 * structured values are JSON, anything that does not parse as JSON stays a string.
 */
export function decodeConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Keys whose Pulumi config text is taken verbatim (a seed "1e3" or a version "1.30" is not a number). */
export const STRING_KEYS: ReadonlySet<string> = new Set([
  "seed",
  "namespace",
  "image",
  "cluster",
  "kubeconfig",
  "kubeContext",
  "region",
  "k8sVersion",
  "clusterName",
  "vpcCidr",
  "mesh",
  "registryName",
  "observabilityNamespace",
  "incident",
  "registration",
]);

/**
 * The raw `k8s-slop:*` map from a config getter (`new pulumi.Config(CONFIG_NAMESPACE).get`): every known key
 * that is set, strings verbatim for STRING_KEYS, JSON-decoded otherwise.
 */
export function collectRaw(get: (key: string) => string | undefined): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const key of [...SLOP_KEYS, ...DEPLOY_KEYS]) {
    const text = get(key);
    if (text !== undefined) raw[key] = STRING_KEYS.has(key) ? text : decodeConfigValue(text);
  }
  return raw;
}

function oneOf<T extends string>(
  raw: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  def: T,
): T {
  const v = raw[key];
  if (v === undefined || v === null) return def;
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(key, v, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
}

function optString(
  raw: Record<string, unknown>,
  key: string,
  pattern?: RegExp,
  what?: string,
): string | null {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string" || (pattern !== undefined && !pattern.test(v))) {
    throw new ConfigError(key, v, what ?? "a non-empty string");
  }
  return v;
}

function bool(raw: Record<string, unknown>, key: string, def: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return def;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw new ConfigError(key, v, "a boolean (true or false)");
}

function int(raw: Record<string, unknown>, key: string, def: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === null) return def;
  const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, v, `an integer in ${min}..${max}`);
  }
  return n;
}

function stringList(raw: Record<string, unknown>, key: string, pattern: RegExp, what: string): string[] {
  const v = raw[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(key, v, `a list of ${what}`);
  return v.map((item: unknown, i) => {
    if (typeof item !== "string" || !pattern.test(item)) throw new ConfigError(`${key}[${i}]`, item, what);
    return item;
  });
}

/** An annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
const ANNOTATION_KEY =
  /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function annotations(raw: Record<string, unknown>, key: string): Record<string, string> {
  const v = raw[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new ConfigError(
      key,
      v,
      'an object of annotation key -> string value, e.g. {"pulumi.com/skipAwait": "true"}',
    );
  }
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    if (!ANNOTATION_KEY.test(k)) throw new ConfigError(`${key}.${k}`, k, "an annotation key ([prefix/]name)");
    if (typeof value !== "string") throw new ConfigError(`${key}.${k}`, value, 'a string (quote it: "true")');
    out[k] = value;
  }
  return out;
}

function cidr(raw: Record<string, unknown>, key: string, def: string): string {
  const v = raw[key] ?? def;
  const m = typeof v === "string" ? CIDR.exec(v) : null;
  const ok =
    m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) >= 8 && Number(m[5]) <= 24;
  if (!ok) throw new ConfigError(key, v, "an IPv4 CIDR with a prefix length in 8..24, e.g. 10.0.0.0/16");
  return v as string;
}

/**
 * Parse and validate the deploy keys of a raw `k8s-slop:*` map (the same map parseConfig reads; keys
 * it does not know are ignored). `k8s-slop:image` is only looked at to decide whether to build.
 */
export function parseDeployConfig(raw: Readonly<Record<string, unknown>>): DeployConfig {
  const r = raw as Record<string, unknown>;
  const cluster = oneOf(r, "cluster", CLUSTER_PROVIDERS, "kubeconfig");
  const cloud = cluster !== "kubeconfig";
  const subnetIds = stringList(
    r,
    "subnetIds",
    /^subnet-[0-9a-f]{8,17}$/,
    'an AWS subnet id ("subnet-0123abcd")',
  );
  if (subnetIds.length === 1)
    throw new ConfigError("subnetIds", subnetIds, "empty or at least two subnet ids");
  if (subnetIds.length > 0 && cluster !== "aws") {
    throw new ConfigError("subnetIds", subnetIds, 'empty unless cluster is "aws"');
  }
  const kubeconfig = optString(r, "kubeconfig");
  const kubeContext = optString(r, "kubeContext");
  if (cloud && (kubeconfig !== null || kubeContext !== null)) {
    const key = kubeconfig !== null ? "kubeconfig" : "kubeContext";
    throw new ConfigError(
      key,
      r[key],
      `unset when cluster is "${cluster}" (the stack builds the kubeconfig)`,
    );
  }
  const region = optString(r, "region", /^[a-z]{2}[a-z0-9-]{1,20}$/, 'a region name ("nyc3", "us-east-1")');
  if (!cloud && region !== null)
    throw new ConfigError("region", region, 'unset when cluster is "kubeconfig"');
  const image = r["image"];
  return {
    cluster,
    kubeconfig,
    kubeContext,
    region: region ?? DEFAULT_REGION[cluster],
    k8sVersion: optString(r, "k8sVersion", K8S_VERSION[cluster].re, K8S_VERSION[cluster].what),
    clusterName: optString(r, "clusterName", DNS_LABEL, "a DNS label (a-z, 0-9, -; at most 63)") ?? "slop",
    subnetIds,
    vpcCidr: cidr(r, "vpcCidr", "10.0.0.0/16"),
    mesh: oneOf(r, "mesh", MESHES, "none"),
    observability: {
      prometheus: bool(r, "prometheus", true),
      prometheusImage: optString(r, "prometheusImage", /^[^\s]{1,512}$/, "an image reference without spaces"),
      grafana: bool(r, "grafana", true),
      tracing: bool(r, "tracing", true),
      otelCollectorImage: optString(
        r,
        "otelCollectorImage",
        /^[^\s]{1,512}$/,
        "an image reference without spaces",
      ),
      logs: bool(r, "logs", true),
      // On by default everywhere: kind and Docker Desktop ship none, and without it no HPA acts.
      metricsServer: bool(r, "metricsServer", true),
      namespace: optString(r, "observabilityNamespace", DNS_LABEL, "a DNS label") ?? "observability",
    },
    buildImage: cloud && (image === undefined || image === null || image === ""),
    registryName: optString(r, "registryName", DNS_LABEL, "a DNS label (a-z, 0-9, -; at most 63)"),
    loadGenerator: bool(r, "loadGenerator", false),
    loadRps: int(r, "loadRps", 50, 1, 100_000),
    loadDurationSeconds: int(r, "loadDurationSeconds", 300, 1, 86_400),
    objectAnnotations: annotations(r, "objectAnnotations"),
    sizePools: bool(r, "sizePools", DEFAULT_SIZE_POOLS[cluster]),
    incident: optString(
      r,
      "incident",
      /^[^\0]{1,4096}$/,
      'an Incident file path or an incident seed, e.g. "incident.json" or "7" ("" = none)',
    ),
    registration: oneOf(r, "registration", REGISTRATIONS, "typed"),
  };
}

const TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/**
 * Cross-checks between the generator's config and the deployment: every class pinned to a pool
 * names a configured pool, and cloud pools are creatable (node count, size, taint effects).
 */
export function checkDeployment(config: SlopConfig, deploy: DeployConfig): void {
  const pools = new Map<string, NodePool>(config.nodePools.map((p) => [p.name, p]));
  for (const [cls, c] of Object.entries(config.classes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (c.nodePool !== null && !pools.has(c.nodePool)) {
      const names = [...pools.keys()].map((n) => `"${n}"`).join(", ");
      throw new ConfigError(
        `classes.${cls}.nodePool`,
        c.nodePool,
        `null or one of the node pools (${names || "none"})`,
      );
    }
  }
  if (deploy.cluster === "kubeconfig") return;
  if (config.nodePools.length === 0) {
    throw new ConfigError("nodePools", [], `at least one pool when cluster is "${deploy.cluster}"`);
  }
  config.nodePools.forEach((p, i) => {
    if (!DNS_LABEL.test(p.name)) throw new ConfigError(`nodePools[${i}].name`, p.name, "a DNS label");
    if (!Number.isInteger(p.nodes) || p.nodes < 1 || p.nodes > 100) {
      throw new ConfigError(`nodePools[${i}].nodes`, p.nodes, "an integer in 1..100 on a cloud cluster");
    }
    if (p.size.length === 0) throw new ConfigError(`nodePools[${i}].size`, p.size, "a machine size");
    p.taints.forEach((t, j) => {
      if (!TAINT_EFFECTS.includes(t.effect)) {
        throw new ConfigError(
          `nodePools[${i}].taints[${j}].effect`,
          t.effect,
          "NoSchedule, PreferNoSchedule or NoExecute",
        );
      }
    });
  });
}

/** The Pulumi project name, hence the config namespace the program reads (`pulumi config set seed 43` writes `k8s-slop:seed`). */
export const CONFIG_NAMESPACE = "k8s-slop";

/**
 * The raw config map of a stack from its files, as Pulumi assembles it: each key the project
 * declares (`seed:` or `k8s-slop:seed:`, with a `default`) unless the stack file sets
 * `k8s-slop:<key>`, in which case the stack's value replaces it whole (Pulumi does not merge objects;
 * parseConfig deep-merges the result over its defaults). Keys of other namespaces are ignored. Used
 * outside Pulumi (CI's `slop diff` of base vs head config). Pure: callers parse YAML.
 */
export function stackRawConfig(
  projectConfig: Readonly<Record<string, unknown>>,
  stackConfig: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [k, v] of Object.entries(projectConfig)) {
    const key = k.startsWith(prefix) ? k.slice(prefix.length) : k;
    if (key.includes(":")) continue;
    const isDecl = typeof v === "object" && v !== null && !Array.isArray(v) && "description" in v;
    const value = isDecl ? ((v as { default?: unknown }).default ?? (v as { value?: unknown }).value) : v;
    if (value !== undefined) out[key] = value;
  }
  for (const [k, v] of Object.entries(stackConfig)) {
    if (k.startsWith(prefix) && v !== undefined) out[k.slice(prefix.length)] = v;
  }
  return out;
}
