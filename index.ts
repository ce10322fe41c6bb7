/**
 * Pulumi entry point. Reads every `slop:*` key through pulumi.Config, hands the raw values to the
 * core's validated parsers (parseConfig + parseDeployConfig, inside `program`), wires the
 * components and exports what a reviewer needs. Secrets are read as Pulumi secrets and only
 * ever exported as secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { program } from "./components/program";
import { collectRaw } from "./components/config";
import { GRPC_PORT } from "./core/types";

const cfg = new pulumi.Config("slop");
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
export const kubeconfig =
  out.cluster.kubeconfig === undefined ? undefined : pulumi.secret(out.cluster.kubeconfig);
