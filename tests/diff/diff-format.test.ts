import fc from "fast-check";
import { serviceId } from "../../core/ids";
import { diffSystems } from "../../core/diff";
import type { SystemDiff } from "../../core/diff";
import {
  code,
  formatDiff,
  formatMarkdown,
  MARKDOWN_LIMIT,
  showValue,
  writeDiff,
} from "../../core/diff-format";
import { parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import type { SystemSpec } from "../../core/types";
import { abc, fakeResources, service, system } from "./fixtures";

const diff = (a: SystemSpec, b: SystemSpec): SystemDiff => diffSystems(a, b, fakeResources);

/** abc() plus one service D calling A, and B with 3 replicas. */
function changed(): SystemDiff {
  const a = abc();
  const services = [
    ...a.services.map((s) => (s.id === "B" ? { ...s, replicas: 3 } : s)),
    service("D", { calls: ["A"] }),
  ];
  return diff(a, system(services));
}

/** N services changed (paths, replicas) and N more added: a diff far too big to list in full. */
function huge(n: number): SystemDiff {
  const ids = Array.from({ length: n }, (_, i) => serviceId(i));
  const side = (op: string, replicas: number, prefix: string): SystemSpec["services"] =>
    ids.map((id) => service(`${prefix}${id}`, { paths: [`${op},${op},A`], replicas, calls: ["A"] }));
  const a = system(side("mem", 2, "Q"));
  const b = system([...side("disk", 5, "Q"), ...side("io", 3, "Z")]);
  return diff(a, b);
}

describe("formatDiff", () => {
  it("text: says so when there is nothing", () => {
    expect(formatDiff(diff(abc(), abc()), "text")).toBe("No differences.\n");
  });

  it("text: lists each category with +, - and ~", () => {
    const text = formatDiff(changed(), "text");
    expect(text).toContain("Summary: config ~1 | services +1 -0 ~1 | edges +1 -0 | objects +2 -0 ~1\n");
    expect(text).toContain("  ~ services: 3 -> 4\n");
    expect(text).toContain("  + D svc-d (stateless)\n");
    expect(text).toContain("  ~ B svc-b\n      replicas: 2 -> 3\n");
    expect(text).toContain("  + D -> A\n");
    expect(text).toContain("  ~ apps/v1/Deployment/slop/svc-b\n      spec.replicas: 2 -> 3\n");
  });

  it("json: is the SystemDiff itself, byte-stable", () => {
    const d = changed();
    const json = formatDiff(d, "json");
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(d)));
    expect(formatDiff(changed(), "json")).toBe(json);
    expect(json.endsWith("}\n")).toBe(true);
  });

  it("markdown: a summary table and collapsible sections", () => {
    const md = formatDiff(changed(), "markdown");
    expect(md).toContain("| Services | 1 | 0 | 1 |");
    expect(md).toContain("<details><summary>Services added: 1</summary>");
    expect(md).toContain("- `D svc-d (stateless)`");
    expect(md).toContain("  - `replicas`: `2` → `3`");
    expect(md).toContain("  - `spec.replicas`: `2` → `3`");
    expect(md.split("<details>").length).toBe(md.split("</details>").length);
    expect(md).not.toContain("more");
  });

  it("markdown: a huge diff is summarised under the comment limit", () => {
    const d = huge(1000);
    expect(d.summary.servicesChanged).toBe(1000);
    expect(d.summary.servicesAdded).toBe(1000);
    const full = formatDiff(d, "text");
    expect(full.length).toBeGreaterThan(MARKDOWN_LIMIT);
    const md = formatMarkdown(d);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toMatch(/…and \d+ more/);
    expect(md).toContain("| Services | 1000 | 0 | 1000 |");
  });

  it("markdown: a tighter limit gives a shorter, still valid comment", () => {
    const md = formatMarkdown(huge(200), 5_000);
    expect(md.length).toBeLessThanOrEqual(5_000);
    expect(md.split("<details>").length).toBe(md.split("</details>").length);
  });
});

describe("rollouts", () => {
  /** C's paths change (its Deployment only rolls); B's paths and replicas change (it rolls and scales). */
  function rolled(): SystemDiff {
    const a = abc();
    const services = a.services.map((s) =>
      s.id === "C"
        ? { ...s, paths: ["disk,io"] }
        : s.id === "B"
          ? { ...s, paths: ["C", "cpu"], replicas: 3 }
          : s,
    );
    return diff(a, system(services));
  }

  it("text: a Deployment that changes only because its ConfigMap changed reads as a rollout with the reason", () => {
    const text = formatDiff(rolled(), "text");
    expect(text).toContain(
      "  ~ apps/v1/Deployment/slop/svc-c (rollout: ConfigMap svc-c changed)\n  ~ v1/ConfigMap/slop/svc-b\n",
    );
    // With other changes, the reason is on the object's line and the other fields follow.
    expect(text).toContain(
      "  ~ apps/v1/Deployment/slop/svc-b (rollout: ConfigMap svc-b changed)\n      spec.replicas: 2 -> 3\n  ~ apps/v1/Deployment/slop/svc-c",
    );
    expect(text).not.toContain("config-hash");
  });

  it("markdown: the same, with the names as code", () => {
    const md = formatDiff(rolled(), "markdown");
    expect(md).toContain(
      "- `apps/v1/Deployment/slop/svc-c` (rollout: ConfigMap `svc-c` changed)\n- `v1/ConfigMap/slop/svc-b`\n",
    );
    expect(md).toContain(
      "- `apps/v1/Deployment/slop/svc-b` (rollout: ConfigMap `svc-b` changed)\n  - `spec.replicas`: `2` → `3`\n",
    );
    expect(md).toContain("<details><summary>Kubernetes objects changed: 4</summary>");
  });

  it("json: the Deployment is in resources.changed, its first field the rollout naming the ConfigMap", () => {
    const d = JSON.parse(formatDiff(rolled(), "json")) as SystemDiff;
    expect(d.resources.changed.find((c) => c.key === "apps/v1/Deployment/slop/svc-c")).toEqual({
      key: "apps/v1/Deployment/slop/svc-c",
      fields: [
        {
          path: 'spec.template.metadata.annotations["slop.dev/config-hash"]',
          rollout: "v1/ConfigMap/slop/svc-c",
        },
      ],
    });
    expect(d.summary.objectsChanged).toBe(4);
  });
});

describe("writeDiff (streamed in pieces)", () => {
  it("rejects an unknown format instead of writing something else", () => {
    expect(() => writeDiff(changed(), "yaml" as "json", () => undefined)).toThrow(
      'unknown diff format "yaml"',
    );
  });

  it("json keeps a hand-built diff's own key order", () => {
    const { resources, ...rest } = changed();
    const reordered = { resources, ...rest } as SystemDiff;
    const pieces: string[] = [];
    writeDiff(reordered, "json", (s) => pieces.push(s));
    expect(pieces.join("")).toBe(`${JSON.stringify(reordered, null, 2)}\n`);
  });

  const generated = (seed: string, n: number): SystemSpec => generate(parseConfig({ seed, services: n }));
  const cases: [string, () => SystemDiff][] = [
    ["nothing", () => diff(abc(), abc())],
    ["hand-built", changed],
    ["huge", () => huge(300)],
    ["two generated seeds", () => diffSystems(generated("1", 100), generated("2", 100))],
    ["absent values and empty lists", () => diffSystems(generated("1", 20), generated("1", 21))],
  ];

  it.each(cases)("json is exactly JSON.stringify(diff, null, 2): %s", (_name, make) => {
    const d = make();
    const pieces: string[] = [];
    writeDiff(d, "json", (s) => pieces.push(s));
    expect(pieces.join("")).toBe(`${JSON.stringify(d, null, 2)}\n`);
  });

  it("hands a large text over in pieces of about 1 MiB that join to formatDiff's text", () => {
    const d = diffSystems(generated("1", 600), generated("2", 600));
    const pieces: string[] = [];
    writeDiff(d, "text", (s) => pieces.push(s));
    expect(pieces.length).toBeGreaterThan(2);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(2 ** 20 + 10_000);
    expect(pieces.join("")).toBe(formatDiff(d, "text"));
    expect(pieces.join("").split("\n")[0]).toMatch(/^Summary: config ~1 \| services/);
  });
});

describe("large diffs", () => {
  it("text: 300,000 changed objects do not overflow the stack", () => {
    const d = diff(abc(), abc());
    const changedObjects = Array.from({ length: 300_000 }, (_, i) => ({
      key: `v1/ConfigMap/slop/c${i}`,
      fields: [{ path: "data.x", from: "1", to: "2" }],
    }));
    const big: SystemDiff = {
      ...d,
      summary: { ...d.summary, objectsChanged: changedObjects.length },
      resources: { ...d.resources, changed: changedObjects },
    };
    const text = formatDiff(big, "text");
    expect(text.split("\n")).toHaveLength(3 + 2 * 300_000 + 1);
    expect(text).toContain('  ~ v1/ConfigMap/slop/c299999\n      data.x: "1" -> "2"\n');
  });
});

describe("helpers", () => {
  it.each([
    ["plain", "`plain`"],
    ["a`b", "``a`b``"],
    ["`x", "`` `x ``"],
  ])("code(%j)", (s, expected) => {
    expect(code(s)).toBe(expected);
  });

  it.each<[unknown, number, string]>([
    [undefined, 10, "(absent)"],
    ["500m", 10, '"500m"'],
    [3, 10, "3"],
    ["abcdefghij", 6, '"abcd…'],
  ])("showValue(%j, %d)", (v, max, expected) => {
    expect(showValue(v, max)).toBe(expected);
  });

  it("showValue is JSON.stringify, shortened, for any JSON value (strings with quotes, escapes, surrogates)", () => {
    const reference = (v: unknown, max: number): string => {
      const s = v === undefined ? "(absent)" : JSON.stringify(v);
      return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
    };
    const value = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom("a", '"', "\\", "\n", "\u0001", "\ud800", "\udc00", "é") }),
      fc.double(),
      fc.integer(),
      fc.constant(undefined),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 40 }), (v, max) => {
        expect(showValue(v, max)).toBe(reference(v, max));
      }),
      { numRuns: 3000 },
    );
  });
});
