/** Pulumi.yaml declares every key the program reads, with values equal to the parsers' defaults. */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { DEPLOY_KEYS, parseDeployConfig, SLOP_KEYS } from "../../components/config";
import { slopPart } from "../../components/program";

const root = join(__dirname, "..", "..");
const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
  name: string;
  config: Record<string, { description?: string; value?: unknown }>;
};
const dev = parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
/**
 * Unset has a meaning for these (e.g. no slop:image = build it on a cloud cluster; no
 * slop:grammar = the profile's, which a project value would override).
 */
const NO_PROJECT_VALUE = [
  ...["image", "kubeconfig", "kubeContext", "region", "k8sVersion", "metricsServer"],
  ...["attachment", "topology", "pathsPerService", "grammar", "calls"],
];

const strip = (c: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(c).map(([k, v]) => [k.replace(/^slop:/, ""), v]));

it("is the k8s-slop project", () => expect(project.name).toBe("k8s-slop"));

it.each([...SLOP_KEYS, ...DEPLOY_KEYS].filter((k) => !NO_PROJECT_VALUE.includes(k)))(
  "declares slop:%s with a description and a value",
  (key) => {
    const decl = project.config[`slop:${key}`];
    expect(decl?.description?.length ?? 0).toBeGreaterThan(10);
    expect(decl.value).toBeDefined();
  },
);

it("declares nothing the program does not read", () => {
  const known = new Set<string>([...SLOP_KEYS, ...DEPLOY_KEYS]);
  expect(Object.keys(project.config).filter((k) => !known.has(k.replace(/^slop:/, "")))).toEqual([]);
});

it("project values equal the parsers' defaults", () => {
  const values = strip(Object.fromEntries(Object.entries(project.config).map(([k, v]) => [k, v.value])));
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
  expect(config.classes.db.nodePool).toBeNull();
});
