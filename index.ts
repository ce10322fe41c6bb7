/**
 * Pulumi entry point. Reads every key of the project's own config namespace (`k8s-slop:`, what
 * `pulumi config set seed 43` writes) through pulumi.Config, hands the raw values to the core's
 * validated parsers (parseConfig + parseDeployConfig, inside `program`), wires the components and
 * exports what a reviewer needs. Secrets are read as Pulumi secrets and only ever exported as secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { program } from "./components/program";
import { collectRaw, CONFIG_NAMESPACE as NAMESPACE, PROGRAM_KEYS } from "./components/config";
import { targetString } from "./core/incidents";
import { GRPC_PORT } from "./core/types";

/** Before the program read its project namespace, stacks set `slop:*`; such a key is now refused, not ignored. */
const legacy = Object.keys(pulumi.runtime.allConfig())
  .filter((k) => k.startsWith("slop:"))
  .sort();
if (legacy.length > 0) {
  const key = legacy[0].slice("slop:".length);
  throw new Error(
    `config ${legacy.join(", ")}: the program reads the project namespace ${NAMESPACE}: now, so these are ignored; ` +
      `rename them (e.g. pulumi config rm slop:${key} && pulumi config set ${key} VALUE, or edit ${NAMESPACE}:${key} into the stack file)`,
  );
}

/** A key of the namespace the program does not read (a typo such as `provider` for `cluster`) is refused. */
const unknown = Object.keys(pulumi.runtime.allConfig())
  .filter((k) => k.startsWith(`${NAMESPACE}:`) && !PROGRAM_KEYS.has(k.slice(NAMESPACE.length + 1)))
  .sort();
if (unknown.length > 0) {
  throw new Error(
    `config ${unknown.join(", ")}: the program reads no such key (Pulumi.yaml declares every key it reads); ` +
      `remove it with pulumi config rm ${unknown[0].slice(NAMESPACE.length + 1)}`,
  );
}

const cfg = new pulumi.Config(NAMESPACE);
const out = program(
  collectRaw((key) => cfg.get(key)),
  { pullSecret: cfg.getSecret("pullSecret"), grafanaAdminPassword: cfg.getSecret("grafanaAdminPassword") },
);
const gateway = out.spec.services.find((s) => s.id === out.spec.gateway);

export const namespace = out.system.namespace;
export const serviceCount = out.system.serviceCount;
export const gatewayAddress = out.system.gatewayAddress;
export const gatewayPortForward = `kubectl -n ${out.system.namespace} port-forward svc/${gateway?.name ?? "?"} ${GRPC_PORT}:${GRPC_PORT}`;
export const portForward = out.observability.portForward;
export const otlpEndpoint = out.observability.otlpEndpoint ?? "(tracing off)";
export const clusterProvider = out.deploy.cluster;
export const mesh = out.deploy.mesh;
export const image = out.image?.ref ?? out.config.image;
export const summary = out.summary;
/** The injected incident (k8s-slop:incident), or undefined for the baseline. */
export const incident =
  out.incident === undefined
    ? undefined
    : {
        kind: out.incident.fault.kind,
        layer: out.incident.fault.layer,
        target: targetString(out.incident.fault.target),
        incidentSeed: out.incident.incidentSeed,
      };
export const kubeconfig =
  out.cluster.kubeconfig === undefined ? undefined : pulumi.secret(out.cluster.kubeconfig);
