import fc from "fast-check";
import { parseConfig } from "../../core/config";
import { callees, opCount, parse, print } from "../../core/grammar";
import { indexOfId, serviceId, serviceName } from "../../core/ids";
import { isAggregator } from "../../core/graph";
import { MAX_JOINED } from "../../core/paths";
import { generate, generateFromRaw } from "../../core/spec";
import { API_VERSION, type SystemSpec } from "../../core/types";

const arbRaw = fc.record({
  profile: fc.constantFrom("production", "benchmark", "stress"),
  seed: fc.oneof(fc.nat(), fc.stringMatching(/^[a-z0-9-]{1,8}$/)),
  services: fc.integer({ min: 1, max: 60 }),
  attachment: fc.integer({ min: 1, max: 4 }),
  pathsPerService: fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }))
    .map(([min, extra]) => ({ min, max: min + extra })),
  grammar: fc.record({
    maxDepth: fc.integer({ min: 0, max: 4 }),
    maxOps: fc.integer({ min: 1, max: 12 }),
    repeatProbability: fc.constantFrom(0, 0.1, 0.5),
    optionalCallProbability: fc.constantFrom(0, 0.1, 0.5),
  }),
});

const parseMilli = (q: string): number => Number(/^(\d+)m$/.exec(q)?.[1] ?? NaN);
const parseMi = (q: string): number => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? NaN);

describe("generate", () => {
  it("is deterministic: the same config gives the same bytes", () => {
    fc.assert(
      fc.property(arbRaw, (raw) => {
        expect(JSON.stringify(generateFromRaw(raw))).toBe(
          JSON.stringify(generateFromRaw(structuredClone(raw))),
        );
      }),
      { numRuns: 30 },
    );
  });

  it("differs between seeds", () => {
    expect(JSON.stringify(generateFromRaw({ seed: 1 }).services)).not.toBe(
      JSON.stringify(generateFromRaw({ seed: 2 }).services),
    );
  });

  it("produces a well-formed system", () => {
    fc.assert(
      fc.property(arbRaw, (raw) => {
        const spec = generateFromRaw(raw);
        const c = spec.config;
        expect(spec.apiVersion).toBe(API_VERSION);
        expect(spec.kind).toBe("System");
        expect(spec.seed).toBe(c.seed);
        expect(spec.gateway).toBe("A");
        expect(spec.nodePools).toEqual(c.nodePools);
        expect(spec.services.map((s) => s.id)).toEqual(
          Array.from({ length: c.services }, (_, i) => serviceId(i)),
        );
        for (const s of spec.services) {
          const i = indexOfId(s.id);
          expect(s.name).toBe(serviceName(s.id));
          expect(s.class === "gateway").toBe(i === 0);
          // DAG: new -> old, nobody calls the gateway; calls are sorted by index.
          for (const callee of s.calls) {
            expect(callee).not.toBe("A");
            if (i > 0) expect(indexOfId(callee)).toBeLessThan(i);
          }
          expect(s.calls.map(indexOfId)).toEqual([...s.calls.map(indexOfId)].sort((a, b) => a - b));
          // Paths: canonical, call only callees, and every callee is called by some path.
          const used = new Set<string>();
          for (const p of s.paths) {
            const ast = parse(p);
            expect(print(ast)).toBe(p);
            for (const id of callees(ast)) used.add(id);
            // An aggregator's fan-out path holds all its callees, beyond maxOps.
            const aggregator = s.class === "stateless" && isAggregator(c, i);
            if (s.class !== "gateway" && !aggregator && s.paths.length * c.grammar.maxOps >= s.calls.length) {
              // Grouped (conditional) placement appends a path's group beyond the grammar's ops.
              const group = c.calls.probability.max < 1 ? Math.ceil(s.calls.length / s.paths.length) : 0;
              expect(opCount(ast)).toBeLessThanOrEqual(c.grammar.maxOps + group);
            }
          }
          expect([...used].sort()).toEqual([...s.calls].sort());
          if (s.class !== "gateway" || s.calls.length === 0) {
            expect(s.paths.length).toBeGreaterThanOrEqual(c.pathsPerService.min);
            expect(s.paths.length).toBeLessThanOrEqual(c.pathsPerService.max);
          } else if (c.calls.leafRoutes || c.calls.remoteProbability > 0) {
            expect(s.paths.length).toBe(s.calls.length); // one route per service
          } else {
            // A leaf may join the newest route instead of getting one (at most MAX_JOINED a route).
            expect(s.paths.length).toBeLessThanOrEqual(s.calls.length);
            expect(s.paths.length).toBeGreaterThanOrEqual(s.calls.length / (1 + MAX_JOINED));
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it("reaches every service from the gateway", () => {
    fc.assert(
      fc.property(arbRaw, (raw) => {
        const spec = generateFromRaw(raw);
        const byId = new Map(spec.services.map((s) => [s.id, s]));
        const seen = new Set(["A"]);
        const stack = ["A"];
        for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
          for (const c of byId.get(id)?.calls ?? []) {
            if (!seen.has(c)) {
              seen.add(c);
              stack.push(c);
            }
          }
        }
        expect(seen.size).toBe(spec.services.length);
      }),
      { numRuns: 40 },
    );
  });

  it("growing N -> N + 1 leaves every non-gateway service byte-identical", () => {
    fc.assert(
      fc.property(arbRaw, (raw) => {
        const a = generateFromRaw(raw);
        const b = generateFromRaw({ ...raw, services: raw.services + 1 });
        expect(b.services.length).toBe(a.services.length + 1);
        for (let i = 1; i < a.services.length; i++) {
          expect(JSON.stringify(b.services[i])).toBe(JSON.stringify(a.services[i]));
        }
      }),
      { numRuns: 40 },
    );
  });

  it("growing N -> N + 1 only adds to the gateway: one new callee and one new route", () => {
    fc.assert(
      fc.property(arbRaw, (raw) => {
        const a = generateFromRaw(raw);
        const b = generateFromRaw({ ...raw, services: raw.services + 1 });
        const [ga, gb] = [a.services[0], b.services[0]];
        const added = b.services[b.services.length - 1].id;
        expect(gb.calls).toEqual([...ga.calls, added]);
        expect(JSON.stringify({ ...gb, calls: [], paths: [] })).toBe(
          JSON.stringify({ ...ga, calls: [], paths: [] }),
        );
        if (ga.calls.length === 0) {
          // A one-service system's gateway has local paths only; its first callee gets the one route.
          expect(gb.paths.map((p) => callees(parse(p)))).toEqual([[added]]);
        } else if (gb.paths.length === ga.paths.length) {
          // calls.leafRoutes false: a new leaf joins the newest route; every other route stays.
          expect(a.config.calls.leafRoutes).toBe(false);
          expect(b.services[b.services.length - 1].calls).toEqual([]);
          expect(gb.paths.slice(0, -1)).toEqual(ga.paths.slice(0, -1));
          const before = callees(parse(ga.paths[ga.paths.length - 1]));
          expect(callees(parse(gb.paths[gb.paths.length - 1]))).toEqual([...before, added].sort());
        } else {
          expect(gb.paths.slice(0, -1)).toEqual(ga.paths); // existing routes stay as they are
          // The new route calls the new service, and perhaps one older leaf it reads too.
          const cs = callees(parse(gb.paths[gb.paths.length - 1]));
          expect(cs).toContain(added);
          for (const o of cs.filter((x) => x !== added)) {
            expect(b.services[indexOfId(o)].calls).toEqual([]);
          }
          expect(cs.length).toBeLessThanOrEqual(2);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("gives limits >= requests, HPAs only where enabled, tolerations matching the pool's taints", () => {
    const check = (spec: SystemSpec): void => {
      const c = spec.config;
      for (const s of spec.services) {
        const k = c.classes[s.class];
        const cpu = parseMilli(s.resources.requests.cpu);
        const mem = parseMi(s.resources.requests.memory);
        expect(cpu).toBeGreaterThanOrEqual(k.cpuRequestMillis.min);
        expect(cpu).toBeLessThanOrEqual(k.cpuRequestMillis.max);
        expect(mem).toBeGreaterThanOrEqual(k.memoryRequestMiB.min);
        expect(mem).toBeLessThanOrEqual(k.memoryRequestMiB.max);
        expect(parseMilli(s.resources.limits.cpu)).toBeGreaterThanOrEqual(cpu);
        expect(parseMilli(s.resources.limits.cpu)).toBeLessThanOrEqual(Math.ceil(cpu * k.cpuLimitRatio.max));
        expect(parseMi(s.resources.limits.memory)).toBeGreaterThanOrEqual(mem);
        expect(s.replicas).toBeGreaterThanOrEqual(k.replicas.min);
        expect(s.replicas).toBeLessThanOrEqual(k.replicas.max);
        if (k.hpa.enabled) {
          expect(s.hpa).not.toBeNull();
          expect(s.hpa?.minReplicas).toBe(s.replicas);
          expect(s.hpa?.maxReplicas).toBeGreaterThan(s.replicas);
          expect(s.hpa?.targetCPUUtilizationPercentage).toBeGreaterThanOrEqual(k.hpa.targetCPU.min);
          expect(s.hpa?.targetCPUUtilizationPercentage).toBeLessThanOrEqual(k.hpa.targetCPU.max);
        } else {
          expect(s.hpa).toBeNull();
        }
        expect(s.nodePool).toBe(k.nodePool);
        const pool = c.nodePools.find((p) => p.name === s.nodePool);
        expect(s.nodeSelector).toEqual(pool?.labels ?? {});
        expect(s.tolerations).toEqual(
          (pool?.taints ?? []).map((t) => ({
            key: t.key,
            operator: "Equal",
            value: t.value,
            effect: t.effect,
          })),
        );
        expect(s.annotations["slop.dev/class"]).toBe(s.class);
        expect(s.annotations["slop.dev/service-id"]).toBe(s.id);
        for (const [key, v] of Object.entries(c.annotations)) expect(s.annotations[key]).toBe(v);
        expect(Object.keys(s.annotations)).toEqual(Object.keys(s.annotations).sort());
        for (const [f, r] of Object.entries(k.opCost)) {
          const v = s.opCosts[f as keyof typeof s.opCosts];
          expect(v).toBeGreaterThanOrEqual(r.min);
          expect(v).toBeLessThanOrEqual(r.max);
        }
      }
    };
    check(generateFromRaw({ services: 200 }));
    check(
      generateFromRaw(
        {
          services: 150,
          annotations: { "team.dev/owner": "sre" },
          nodePools: [
            { name: "general", labels: { pool: "general" }, taints: [], nodes: 1, size: "s" },
            {
              name: "fast",
              labels: { pool: "fast", tier: "1" },
              taints: [
                { key: "dedicated", value: "fast", effect: "NoSchedule" },
                { key: "spot", value: "true", effect: "PreferNoSchedule" },
              ],
              nodes: 1,
              size: "s",
            },
          ],
        },
        {
          "classes.cache.nodePool": "fast",
          "classes.db.nodePool": "general",
          "classes.stateless.hpa.enabled": false,
          "classes.db.hpa.enabled": true,
          "classes.cache.cpuLimitRatio.min": 2,
          "classes.cache.cpuLimitRatio.max": 2,
        },
      ),
    );
  });

  it("applies exact limit ratios", () => {
    const spec = generateFromRaw(
      {},
      { "classes.db.cpuLimitRatio.min": 2, "classes.db.cpuLimitRatio.max": 2 },
    );
    for (const s of spec.services.filter((x) => x.class === "db")) {
      expect(parseMilli(s.resources.limits.cpu)).toBe(2 * parseMilli(s.resources.requests.cpu));
    }
  });

  it("handles a gateway-only system", () => {
    const spec = generate(parseConfig({ services: 1 }));
    expect(spec.services).toHaveLength(1);
    expect(spec.services[0].calls).toEqual([]);
    for (const p of spec.services[0].paths) expect(callees(parse(p))).toEqual([]);
  });

  it("echoes the validated config", () => {
    const c = parseConfig({ seed: "echo", services: 5 });
    expect(generate(c).config).toEqual(c);
  });
});
