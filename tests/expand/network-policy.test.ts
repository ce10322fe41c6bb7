import type { NetworkPolicyPort } from "kubernetes-types/networking/v1";
import { expand } from "../../core/expand";
import { GRPC_PORT, METRICS_PORT } from "../../core/types";
import { sampleSpec } from "./fixtures";
import { callerNames, find, peerNames } from "./helpers";

const spec = sampleSpec();
const objects = expand(spec);
const svcCases = spec.services.map((s) => [s.id, s] as const);
const nsPeer = (name: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});

describe("NetworkPolicy", () => {
  it.each(svcCases)("%s: selects its own pods and denies by default both ways", (_id, svc) => {
    const np = find(objects, "NetworkPolicy", svc.name);
    expect(np.spec?.podSelector).toEqual({
      matchLabels: { "app.kubernetes.io/name": svc.name, "app.kubernetes.io/part-of": "k8s-slop" },
    });
    expect(np.spec?.policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it.each(svcCases)("%s: grpc ingress peers are exactly its callers (the gateway: anyone)", (_id, svc) => {
    const grpcRules = (find(objects, "NetworkPolicy", svc.name).spec?.ingress ?? []).filter((r) =>
      r.ports?.some((p) => p.port === GRPC_PORT),
    );
    const callers = callerNames(spec, svc);
    if (svc.id === spec.gateway) {
      expect(grpcRules).toEqual([{ ports: [{ protocol: "TCP", port: GRPC_PORT }] }]);
    } else if (callers.length === 0) {
      expect(grpcRules).toEqual([]);
    } else {
      expect(grpcRules).toHaveLength(1);
      expect(peerNames(grpcRules[0].from ?? []).sort()).toEqual([...callers].sort());
    }
  });

  it("the sample's call graph gives the expected callers", () => {
    const np = find(objects, "NetworkPolicy", "svc-c");
    expect(peerNames(np.spec?.ingress?.[0].from ?? [])).toEqual(["svc-a", "svc-b"]);
  });

  it.each(svcCases)("%s: metrics only from the observability namespace", (_id, svc) => {
    const ingress = find(objects, "NetworkPolicy", svc.name).spec?.ingress ?? [];
    const metrics = ingress.filter((r) => r.ports?.some((p) => p.port === METRICS_PORT));
    expect(metrics).toEqual([
      { from: [nsPeer("observability")], ports: [{ protocol: "TCP", port: METRICS_PORT }] },
    ]);
    expect(ingress.filter((r) => !r.from)).toHaveLength(svc.id === spec.gateway ? 1 : 0);
  });

  it.each(svcCases)("%s: egress to its callees on grpc, DNS, OTLP", (_id, svc) => {
    const egress = find(objects, "NetworkPolicy", svc.name).spec?.egress ?? [];
    const grpc = egress.filter((r) => r.ports?.some((p) => p.port === GRPC_PORT));
    const calleeNames = svc.calls.map((id) => spec.services.find((s) => s.id === id)?.name);
    expect(grpc.flatMap((r) => peerNames(r.to ?? [])).sort()).toEqual([...calleeNames].sort());
    expect(egress).toContainEqual({
      to: [nsPeer("kube-system")],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    });
    expect(egress).toContainEqual({
      to: [nsPeer("observability")],
      ports: [
        { protocol: "TCP", port: 4317 },
        { protocol: "TCP", port: 4318 },
      ],
    });
    expect(egress.every((r) => (r.to ?? []).length > 0)).toBe(true);
  });

  it.each(svcCases)(
    "%s: extra call ports (a mesh proxy's inbound port) on the call rules both ways, and nowhere else",
    (_id, svc) => {
      const PROXY = 4143;
      const np = find(expand(spec, { extraCallPorts: [PROXY] }), "NetworkPolicy", svc.name);
      const ports = (r: { ports?: NetworkPolicyPort[] }) => r.ports?.map((p) => p.port);
      const withProxy = <R extends { ports?: NetworkPolicyPort[] }>(rules: R[]) =>
        rules.filter((r) => ports(r)?.includes(PROXY));
      const egress = np.spec?.egress ?? [];
      const ingress = np.spec?.ingress ?? [];
      // The caller's proxy dials its callees' pods on the proxy port (Linkerd's transport header).
      if (svc.calls.length === 0) expect(withProxy(egress)).toEqual([]);
      else {
        expect(withProxy(egress)).toHaveLength(1);
        expect(ports(withProxy(egress)[0])).toEqual([GRPC_PORT, PROXY]);
        expect(peerNames(withProxy(egress)[0].to ?? []).sort()).toEqual(
          svc.calls.map((id) => spec.services.find((s) => s.id === id)?.name).sort(),
        );
      }
      // The callee admits it from the same peers as gRPC.
      const grpcIn = ingress.filter((r) => ports(r)?.includes(GRPC_PORT));
      expect(withProxy(ingress)).toEqual(grpcIn);
      for (const r of grpcIn) expect(ports(r)).toEqual([GRPC_PORT, PROXY]);
      // Without the option, the port appears nowhere.
      expect(JSON.stringify(find(objects, "NetworkPolicy", svc.name))).not.toContain(String(PROXY));
    },
  );

  it("honours a custom observability namespace and extra egress namespaces (sorted, unique)", () => {
    const objs = expand(spec, {
      observabilityNamespace: "monitoring",
      extraEgressNamespaces: ["linkerd", "istio-system", "linkerd"],
    });
    const np = find(objs, "NetworkPolicy", "svc-b");
    expect(np.spec?.ingress).toContainEqual({
      from: [nsPeer("monitoring")],
      ports: [{ protocol: "TCP", port: METRICS_PORT }],
    });
    expect(np.spec?.egress).toContainEqual({ to: [nsPeer("istio-system"), nsPeer("linkerd")] });
    expect(JSON.stringify(np)).not.toContain('"observability"');
    expect(find(objects, "NetworkPolicy", "svc-b").spec?.egress).toHaveLength(3);
  });
});
