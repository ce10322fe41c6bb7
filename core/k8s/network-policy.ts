/**
 * The NetworkPolicy `<name>`: default-deny both ways, then
 *   ingress  grpc    from the pods of the service's callers (the gateway: from anywhere), plus
 *                    any extra call port (a mesh proxy's inbound port) from the same peers
 *            metrics from the observability namespace
 *   egress   grpc    to the pods of its callees, plus the extra call ports on the same peers
 *            53      UDP+TCP to kube-system (DNS)
 *            4317/4318 to the observability namespace (OTLP)
 *            any port to each extra namespace (e.g. a mesh control plane)
 * Peers are listed one per service, in spec order, so a changed call graph reads as a changed peer.
 */
import type {
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from "kubernetes-types/networking/v1";
import { GRPC_PORT, METRICS_PORT } from "../types";
import type { ServiceContext } from "./context";
import { LABEL_NAMESPACE_NAME, selectorLabels, serviceLabels } from "./labels";
import type { NetworkPolicy } from "./objects";

export const DNS_NAMESPACE = "kube-system";
export const OTLP_PORTS = [4317, 4318] as const;

const tcp = (port: number): NetworkPolicyPort => ({ port, protocol: "TCP" });
const inNamespace = (name: string): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { [LABEL_NAMESPACE_NAME]: name } },
});
const podsOf = (name: string): NetworkPolicyPeer => ({ podSelector: { matchLabels: selectorLabels(name) } });

/** The ports of a call between two services: gRPC, then the extra call ports. */
const callPorts = (ctx: ServiceContext): NetworkPolicyPort[] =>
  [GRPC_PORT, ...ctx.opts.extraCallPorts].map(tcp);

function ingress(ctx: ServiceContext): NetworkPolicyIngressRule[] {
  const rules: NetworkPolicyIngressRule[] = [];
  const ports = callPorts(ctx);
  if (ctx.svc.id === ctx.spec.gateway) {
    rules.push({ ports });
  } else if (ctx.callers.length > 0) {
    rules.push({ from: ctx.callers.map((c) => podsOf(c.name)), ports });
  }
  rules.push({ from: [inNamespace(ctx.opts.observabilityNamespace)], ports: [tcp(METRICS_PORT)] });
  return rules;
}

function egress(ctx: ServiceContext): NetworkPolicyEgressRule[] {
  const rules: NetworkPolicyEgressRule[] = [];
  if (ctx.callees.length > 0) {
    rules.push({ ports: callPorts(ctx), to: ctx.callees.map((c) => podsOf(c.name)) });
  }
  rules.push({
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
    to: [inNamespace(DNS_NAMESPACE)],
  });
  rules.push({ ports: OTLP_PORTS.map(tcp), to: [inNamespace(ctx.opts.observabilityNamespace)] });
  if (ctx.opts.extraEgressNamespaces.length > 0) {
    rules.push({ to: ctx.opts.extraEgressNamespaces.map(inNamespace) });
  }
  return rules;
}

export function networkPolicy(ctx: ServiceContext): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { labels: serviceLabels(ctx.svc), name: ctx.svc.name, namespace: ctx.namespace },
    spec: {
      egress: egress(ctx),
      ingress: ingress(ctx),
      podSelector: { matchLabels: selectorLabels(ctx.svc.name) },
      policyTypes: ["Ingress", "Egress"],
    },
  };
}
