/**
 * Pulumi.yaml declares every key the program reads in the project's own namespace (`k8s-slop:`,
 * what the plain `pulumi config set KEY` writes), with a Pulumi type and a default equal to the
 * parsers' defaults.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { DEPLOY_KEYS, parseDeployConfig, SLOP_KEYS } from "../../components/config";
import { slopPart } from "../../components/program";

const root = join(__dirname, "..", "..");
const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
  name: string;
  config: Record<
    string,
    { type?: string; items?: { type: string }; description?: string; default?: unknown }
  >;
};
const dev = parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
/**
 * Unset has a meaning for these (e.g. no image = build it on a cloud cluster; no grammar = the
 * profile's, which a project value would override).
 */
const NO_PROJECT_VALUE = [
  ...["image", "kubeconfig", "kubeContext", "region", "k8sVersion", "metricsServer"],
  ...["sizePools", "registryName", "prometheusImage", "otelCollectorImage"],
  ...["attachment", "topology", "pathsPerService", "grammar", "calls"],
];

const strip = (c: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(c).map(([k, v]) => [k.replace(/^k8s-slop:/, ""), v]));

it("is the k8s-slop project", () => expect(project.name).toBe("k8s-slop"));

/** What Pulumi accepts for each declared type (sdk/go/common/workspace ValidateConfigValue, v3.248.0). */
function ofType(type: string | undefined, itemType: string | undefined, v: unknown): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "integer":
      return Number.isInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return Array.isArray(v) && v.every((item) => ofType(itemType, undefined, item));
    default:
      return false;
  }
}

it.each([...SLOP_KEYS, ...DEPLOY_KEYS].filter((k) => !NO_PROJECT_VALUE.includes(k)))(
  "declares %s in the project namespace with a type, a description and a default of that type",
  (key) => {
    const decl = project.config[key];
    expect(decl?.description?.length ?? 0).toBeGreaterThan(10);
    expect(decl.default).toBeDefined();
    expect(ofType(decl.type, decl.items?.type, decl.default)).toBe(true);
  },
);

it("declares no key outside the project namespace (Pulumi would not type-check it; the program would not read it)", () =>
  expect(Object.keys(project.config).filter((k) => k.includes(":"))).toEqual([]));

it("does not declare the keys whose unset means something (Pulumi would make a declared key without a default required)", () =>
  expect(NO_PROJECT_VALUE.filter((k) => k in project.config)).toEqual([]));

it("declares nothing the program does not read", () => {
  const known = new Set<string>([...SLOP_KEYS, ...DEPLOY_KEYS]);
  expect(Object.keys(project.config).filter((k) => !known.has(k))).toEqual([]);
});

it("project defaults equal the parsers' defaults", () => {
  const values = strip(Object.fromEntries(Object.entries(project.config).map(([k, v]) => [k, v.default])));
  expect(parseConfig(slopPart(values))).toEqual(parseConfig({}));
  expect(parseConfig(slopPart(values))).toEqual(DEFAULT_CONFIG);
  expect(parseDeployConfig(values)).toEqual(parseDeployConfig({}));
});

it("the dev stack is a valid small system on an existing cluster", () => {
  const raw = strip(dev.config);
  const deploy = parseDeployConfig(raw);
  const config = parseConfig(slopPart(raw));
  expect(deploy.cluster).toBe("kubeconfig");
  expect(config.seed).toBe("42");
  expect(config.services).toBeLessThanOrEqual(10);
  // Pools shaped like the local cluster's (docs/cluster.md): the databases on the tainted data pool.
  expect(config.nodePools.map((p) => [p.name, p.taints.length])).toEqual([
    ["general", 0],
    ["data", 1],
  ]);
  expect(config.classes.db.nodePool).toBe("data");
});
