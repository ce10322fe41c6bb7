/**
 * The whole stack as one function of the raw `k8s-slop:*` values: validate everything first (no
 * resource is registered for a bad config), generate the system, then wire
 * Cluster -> Mesh -> Observability -> (RuntimeImage) -> System. `index.ts` collects the raw
 * values from Pulumi config and exports what this returns; tests call it directly under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../core/config";
import { checkDeployment, parseDeployConfig, SLOP_KEYS, type DeployConfig } from "./config";
import { CapacityError, formatCapacity } from "../core/capacity";
import type { Incident } from "../core/incidents";
import { generate } from "../core/spec";
import { LABEL_PART_OF, PART_OF } from "../core/k8s/labels";
import { METRICS_PORT, type SlopConfig, type SystemSpec } from "../core/types";
import { decidePools } from "./capacity-plan";
import { Cluster } from "./cluster";
import { systemDashboard } from "./dashboard";
import { RuntimeImage } from "./image";
import { resolveIncident } from "./incident";
import { Mesh, meshSystemObjects } from "./mesh";
import { Observability, type ObservabilityArgs } from "./observability";
import { imageTag } from "./registry-auth";
import { DEFAULT_PULL_SECRET_NAME, System } from "./system";

export interface ProgramSecrets {
  /** `.dockerconfigjson` for pulling `k8s-slop:image` (k8s-slop:pullSecret). */
  readonly pullSecret?: pulumi.Output<string>;
  readonly grafanaAdminPassword?: pulumi.Output<string>;
}

export interface SystemSummary {
  readonly seed: string;
  readonly services: number;
  readonly edges: number;
  readonly paths: number;
  readonly hpas: number;
  readonly byClass: Readonly<Record<string, number>>;
  readonly byPool: Readonly<Record<string, number>>;
}

export interface ProgramOutputs {
  readonly cluster: Cluster;
  readonly mesh: Mesh;
  readonly observability: Observability;
  readonly system: System;
  readonly image: RuntimeImage | undefined;
  readonly deploy: DeployConfig;
  readonly config: SlopConfig;
  readonly spec: SystemSpec;
  readonly summary: SystemSummary;
  /** The injected incident (`k8s-slop:incident`), or undefined for the baseline. */
  readonly incident: Incident | undefined;
}

/** Pure: counts that describe a generated system at a glance (stack output `summary`). */
export function summarize(spec: SystemSpec): SystemSummary {
  const count = (keys: readonly string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const k of [...keys].sort()) out[k] = (out[k] ?? 0) + 1;
    return out;
  };
  return {
    seed: spec.seed,
    services: spec.services.length,
    edges: spec.services.reduce((n, s) => n + s.calls.length, 0),
    paths: spec.services.reduce((n, s) => n + s.paths.length, 0),
    hpas: spec.services.filter((s) => s.hpa !== null).length,
    byClass: count(spec.services.map((s) => s.class)),
    byPool: count(spec.services.map((s) => s.nodePool ?? "(none)")),
  };
}

/** The SlopConfig part of a raw `k8s-slop:*` map (parseConfig rejects keys it does not know). */
export function slopPart(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of SLOP_KEYS) if (raw[k] !== undefined) out[k] = raw[k];
  return out;
}

function withPullSecret(config: SlopConfig, name: string): SlopConfig {
  return config.imagePullSecrets.includes(name)
    ? config
    : { ...config, imagePullSecrets: [...config.imagePullSecrets, name] };
}

/**
 * Everything a stack needs checked before the first resource is registered: the deploy and system
 * config, the spec, the incident against it, the node pools against the system, the image to use.
 */
function validate(raw: Readonly<Record<string, unknown>>, secrets: ProgramSecrets) {
  const deploy = parseDeployConfig(raw);
  let config = parseConfig(slopPart(raw));
  checkDeployment(config, deploy);
  const needsPullSecret =
    (deploy.buildImage && deploy.cluster === "digitalocean") || secrets.pullSecret !== undefined;
  if (needsPullSecret) config = withPullSecret(config, DEFAULT_PULL_SECRET_NAME);
  const spec = generate(config);
  const incident = deploy.incident === null ? undefined : resolveIncident(spec, deploy.incident);
  // Stop before any resource when the system cannot be scheduled on the cloud pools (or size them).
  const pools = decidePools(spec, config.nodePools, deploy);
  if (!pools.schedulable && pools.report !== undefined) {
    throw new CapacityError(
      `k8s-slop:nodePools cannot schedule the system (set larger pools, or k8s-slop:sizePools true):\n${formatCapacity(pools.report)}`,
    );
  }
  return { deploy, config, spec, incident, nodePools: pools.pools, imageBuild: imageBuild(deploy) };
}

/** Where the stack builds the image (a cloud registry in the cluster's region); null: it does not. */
function imageBuild(deploy: DeployConfig): { registry: "digitalocean" | "aws"; region: string } | null {
  if (!deploy.buildImage) return null;
  if (deploy.cluster === "kubeconfig" || deploy.region === null) {
    throw new Error(
      "k8s-slop:image must be set when k8s-slop:cluster is kubeconfig (the stack only builds for cloud registries)",
    );
  }
  return { registry: deploy.cluster, region: deploy.region };
}

function observabilityArgs(
  deploy: DeployConfig,
  config: SlopConfig,
  spec: SystemSpec,
  secrets: ProgramSecrets,
): ObservabilityArgs {
  const o = deploy.observability;
  return {
    namespace: o.namespace,
    systemNamespace: config.namespace,
    prometheus: o.prometheus,
    prometheusImage: o.prometheusImage ?? undefined,
    grafana: o.grafana,
    tracing: o.tracing,
    otelCollectorImage: o.otelCollectorImage ?? undefined,
    logs: o.logs,
    metricsServer: o.metricsServer,
    kubeletInsecureTls: deploy.cluster === "kubeconfig",
    dashboardJson: JSON.stringify(systemDashboard(spec)),
    grafanaAdminPassword: secrets.grafanaAdminPassword,
  };
}

export function program(
  raw: Readonly<Record<string, unknown>>,
  secrets: ProgramSecrets = {},
): ProgramOutputs {
  const { deploy, config, spec, incident, nodePools, imageBuild: build } = validate(raw, secrets);
  const cluster = new Cluster("cluster", {
    provider: deploy.cluster,
    kubeconfig: deploy.kubeconfig ?? undefined,
    context: deploy.kubeContext ?? undefined,
    region: deploy.region ?? undefined,
    k8sVersion: deploy.k8sVersion ?? undefined,
    clusterName: deploy.clusterName,
    subnetIds: deploy.subnetIds,
    vpcCidr: deploy.vpcCidr,
    nodePools,
  });
  const onCluster: pulumi.ComponentResourceOptions = { providers: [cluster.provider] };
  const mesh = new Mesh("mesh", { mesh: deploy.mesh }, onCluster);
  const observability = new Observability("observability", observabilityArgs(deploy, config, spec, secrets), {
    ...onCluster,
    dependsOn: [...cluster.ready],
  });
  const image =
    build === null
      ? undefined
      : new RuntimeImage("image", {
          ...build,
          registryName: deploy.registryName ?? undefined,
          tag: imageTag(config.image) ?? "dev",
        });
  const system = new System(
    "system",
    {
      spec,
      incident,
      expandOptions: {
        otlpEndpoint: observability.otlpEndpoint,
        observabilityNamespace: observability.namespace,
        namespaceLabels: mesh.integration.namespaceLabels,
        namespaceAnnotations: mesh.integration.namespaceAnnotations,
        extraEgressNamespaces: mesh.integration.egressNamespaces,
        extraCallPorts: mesh.integration.callPorts,
      },
      image: image?.ref,
      pullSecret: image?.pullSecret ?? secrets.pullSecret,
      pullSecretName: DEFAULT_PULL_SECRET_NAME,
      loadGenerator: deploy.loadGenerator,
      loadRps: deploy.loadRps,
      loadDurationSeconds: deploy.loadDurationSeconds,
      objectAnnotations: deploy.objectAnnotations,
      registration: deploy.registration,
      loadJobPodAnnotations: mesh.integration.jobPodAnnotations,
      extraObjects: meshSystemObjects(
        deploy.mesh,
        config.namespace,
        { [LABEL_PART_OF]: PART_OF },
        METRICS_PORT,
      ),
    },
    { ...onCluster, dependsOn: [...mesh.ready, ...cluster.nodePools, ...cluster.ready] },
  );
  return {
    cluster,
    mesh,
    observability,
    system,
    image,
    deploy,
    config,
    spec,
    summary: summarize(spec),
    incident,
  };
}
