/**
 * Property tests over generated systems: for many seeds and sizes, every expanded object is valid
 * against the Kubernetes schemas, the object counts per kind follow from the spec, and every
 * NetworkPolicy matches the call graph.
 */
import fc from "fast-check";
import { DEFAULT_CONFIG } from "../../core/config";
import { expand, objectKey } from "../../core/expand";
import type { ExpandOptions } from "../../core/expand";
import { isDnsLabel } from "../../core/names";
import { generate } from "../../core/spec";
import { GRPC_PORT } from "../../core/types";
import type { SystemSpec } from "../../core/types";
import { callerNames, ofKind, peerNames, writesData } from "./helpers";
import { validateAll } from "./validate";

const system = (seed: number, services: number): SystemSpec =>
  generate({ ...DEFAULT_CONFIG, seed: String(seed), services });

const arbSystem = fc
  .record({ seed: fc.integer({ min: 0, max: 1_000_000 }), services: fc.integer({ min: 1, max: 40 }) })
  .map(({ seed, services }) => system(seed, services));

const arbOptions: fc.Arbitrary<ExpandOptions> = fc.record(
  {
    otlpEndpoint: fc.constantFrom<string>(
      "http://otel-collector.observability:4317",
      "https://collector:4317",
    ),
    observabilityNamespace: fc.constantFrom<string>("observability", "monitoring"),
    namespaceLabels: fc.constantFrom<Record<string, string>>({}, { "istio-injection": "enabled" }),
    namespaceAnnotations: fc.constantFrom<Record<string, string>>({}, { "linkerd.io/inject": "enabled" }),
    extraEgressNamespaces: fc.subarray(["istio-system", "linkerd", "kube-system"]),
  },
  { requiredKeys: [] },
);

describe("expand(generate(config)) over seeds and sizes", () => {
  it("every object is schema-valid, uniquely keyed and named by a DNS label, for any options", () => {
    fc.assert(
      fc.property(arbSystem, arbOptions, (spec, opts) => {
        const objs = expand(spec, opts);
        validateAll(objs);
        const keys = objs.map(objectKey);
        expect(new Set(keys).size).toBe(keys.length);
        expect(objs.every((o) => isDnsLabel(o.metadata.name))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("counts per kind follow from the spec", () => {
    fc.assert(
      fc.property(arbSystem, (spec) => {
        const objs = expand(spec);
        const n = spec.services.length;
        const count = (k: string) => objs.filter((o) => o.kind === k).length;
        expect(count("Namespace")).toBe(1);
        for (const k of ["ConfigMap", "Deployment", "Service", "NetworkPolicy"]) expect(count(k)).toBe(n);
        expect(count("HorizontalPodAutoscaler")).toBe(spec.services.filter((s) => s.hpa !== null).length);
        expect(count("PodDisruptionBudget")).toBe(
          spec.services.filter((s) => (s.hpa?.minReplicas ?? s.replicas) > 1).length,
        );
        expect(count("PersistentVolumeClaim")).toBe(
          spec.services.filter((s) => writesData(s) && s.class === "db" && s.replicas === 1 && s.hpa === null)
            .length,
        );
      }),
      { numRuns: 30 },
    );
  });

  it("NetworkPolicies match the call graph", () => {
    fc.assert(
      fc.property(arbSystem, (spec) => {
        const policies = ofKind(expand(spec), "NetworkPolicy");
        expect(policies.map((p) => p.metadata.name)).toEqual(spec.services.map((s) => s.name));
        spec.services.forEach((svc, i) => {
          const np = policies[i];
          const inGrpc = (np.spec?.ingress ?? []).filter((r) => r.ports?.some((p) => p.port === GRPC_PORT));
          if (svc.id === spec.gateway)
            expect(inGrpc).toEqual([{ ports: [{ protocol: "TCP", port: GRPC_PORT }] }]);
          else
            expect(inGrpc.flatMap((r) => peerNames(r.from ?? [])).sort()).toEqual(
              callerNames(spec, svc).sort(),
            );
          const outGrpc = (np.spec?.egress ?? []).filter((r) => r.ports?.some((p) => p.port === GRPC_PORT));
          const callees = spec.services.filter((s) => svc.calls.includes(s.id)).map((s) => s.name);
          expect(outGrpc.flatMap((r) => peerNames(r.to ?? [])).sort()).toEqual(callees.sort());
        });
      }),
      { numRuns: 30 },
    );
  });

  it("is deterministic for a generated system", () => {
    expect(JSON.stringify(expand(system(7, 25)))).toBe(JSON.stringify(expand(system(7, 25))));
  });

  it("a 1,000-service system expands to valid objects", () => {
    const spec = system(42, 1000);
    const objs = expand(spec);
    validateAll(objs);
    expect(ofKind(objs, "Deployment")).toHaveLength(1000);
  });
});
