/** The diff on generated systems: real generate() + expand(). */
import { parseConfig } from "../../core/config";
import { diffSystems, isEmptyDiff, KUBE_RESOURCES } from "../../core/diff";
import { formatMarkdown, MARKDOWN_LIMIT } from "../../core/diff-format";
import { generate } from "../../core/spec";
import type { ServiceSpec, SystemSpec } from "../../core/types";

const spec = (seed: string, services: number): SystemSpec => generate(parseConfig({ seed, services }));

describe("diffSystems on generated systems", () => {
  it("is empty for the same seed and size", () => {
    expect(isEmptyDiff(diffSystems(spec("42", 20), spec("42", 20)))).toBe(true);
  });

  it("is non-empty for seed 42 vs 43", () => {
    const d = diffSystems(spec("42", 20), spec("43", 20));
    expect(isEmptyDiff(d)).toBe(false);
    expect(d.config).toContainEqual({ path: "seed", from: "42", to: "43" });
    expect(d.summary.servicesChanged).toBeGreaterThan(0);
    expect(d.summary.objectsChanged).toBeGreaterThan(0);
  });

  it.each([
    ["42", 5],
    ["42", 20],
    ["7", 50],
    ["1", 100],
  ])("seed %s: N=%d vs N+1 adds exactly one service and changes only the gateway", (seed, n) => {
    const d = diffSystems(spec(seed, n), spec(seed, n + 1));
    expect(d.services.added).toHaveLength(1);
    expect(d.services.removed).toEqual([]);
    expect(d.services.changed.map((c) => c.id).filter((id) => id !== "A")).toEqual([]);
    expect(d.config).toEqual([{ path: "services", from: n, to: n + 1 }]);
    const added = d.services.added[0]?.name ?? "";
    expect(d.resources.added.some((k) => k.endsWith(`/${added}`))).toBe(true);
  });

  it("a changed replica range shows up as spec.replicas on Deployments", () => {
    const a = generate(parseConfig({ services: 20 }));
    const b = generate(
      parseConfig({ services: 20 }, { "classes.db.replicas.min": 3, "classes.db.replicas.max": 3 }),
    );
    const d = diffSystems(a, b);
    const dbs = a.services.filter((s) => s.class === "db");
    expect(dbs.length).toBeGreaterThan(0);
    for (const s of dbs) {
      const change = d.resources.changed.find((o) => o.key === `apps/v1/Deployment/slop/${s.name}`);
      expect(change?.fields).toContainEqual({ path: "spec.replicas", from: s.replicas, to: 3 });
    }
  });

  it("keeps a 1,000-service diff under the markdown limit", () => {
    const d = diffSystems(spec("1", 1000), spec("2", 1000));
    expect(d.summary.servicesChanged).toBeGreaterThan(900);
    const md = formatMarkdown(d);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toContain("more");
  });

  describe("compared service by service (KUBE_RESOURCES.byService) or whole (expand)", () => {
    // The whole-list path is the reference: one group per side, every object keyed at once, the
    // real objects (service.json as text, config hashes), so this also checks diffGroups' view.
    const whole = { expand: KUBE_RESOURCES.expand, key: KUBE_RESOURCES.key };
    const base = spec("42", 30);
    const rename = (s: SystemSpec, from: string, to: string): SystemSpec => ({
      ...s,
      services: s.services.map((x) => (x.name === from ? { ...x, name: to } : x)),
    });
    const svc = (s: SystemSpec, i: number): ServiceSpec => s.services[i] as ServiceSpec;
    it.each<[string, SystemSpec, SystemSpec]>([
      ["two seeds", spec("1", 60), spec("2", 60)],
      ["N vs N+1", base, spec("42", 31)],
      ["N+1 vs N", spec("42", 31), base],
      ["a changed config", base, generate(parseConfig({ seed: "42", services: 30, namespace: "other" }))],
      // service.json alone changes: diffGroups carries it as an object, the reference as text.
      ["a changed maxInFlight", base, generate(parseConfig({ seed: "42", services: 30, maxInFlight: 7 }))],
      [
        "a changed request timeout",
        base,
        generate(parseConfig({ seed: "42", services: 30, requestTimeoutMs: 1234 })),
      ],
      ["another profile", base, generate(parseConfig({ seed: "42", services: 30, profile: "stress" }))],
      [
        "one service's paths",
        base,
        {
          ...base,
          services: base.services.map((x, i) => (i === 2 ? { ...x, paths: [x.paths[0] ?? "noop"] } : x)),
        },
      ],
      ["services in another order", base, { ...base, services: [...base.services].reverse() }],
      // Two services swap names: each one's objects now belong to the other service's id.
      [
        "swapped names",
        base,
        rename(
          rename(rename(base, svc(base, 3).name, "tmp"), svc(base, 4).name, svc(base, 3).name),
          "tmp",
          svc(base, 4).name,
        ),
      ],
      [
        "a repeated id",
        base,
        {
          ...base,
          services: [...base.services, { ...svc(base, 5), id: svc(base, 6).id, name: "svc-extra" }],
        },
      ],
    ])("gives the same diff: %s", (_name, a, b) => {
      const d = diffSystems(a, b);
      expect(d).toEqual(diffSystems(a, b, whole));
      expect(JSON.stringify(d)).toBe(JSON.stringify(diffSystems(a, b, whole)));
    });
  });
});
