import * as fs from "fs";
import * as path from "path";
import { Option } from "commander";
import type { Command } from "commander";
import { CapacityError, formatCapacity } from "../../core/capacity";
import { ConfigError, parseConfig } from "../../core/config";
import { isPlainObject } from "../../core/errors";
import { generate } from "../../core/spec";
import { decidePools, stackPods, systemPods } from "../../components/capacity-plan";
import { resolveIncident } from "../../components/incident";
import {
  CLUSTER_PROVIDERS,
  CONFIG_NAMESPACE,
  MESHES,
  PROGRAM_KEYS,
  parseDeployConfig,
  SLOP_KEYS,
  stackRawConfig,
} from "../../components/config";
import { EXIT_DIFF, UsageError } from "../errors";
import { readDocument } from "../input";

const EXAMPLES = `
Examples:
  $ slop plan                                  # Pulumi.yaml's values (seed 42, 20 services, kubeconfig)
  $ slop plan --cluster aws                    # the same system on EKS: fits? nodes per pool, $/h
  $ slop plan --stack prod --dir ~/my-stack    # Pulumi.yaml + Pulumi.prod.yaml in that directory

With sizePools (the default on aws) the stack creates the sized pools, which the last line names.
Exit code: 0 when the stack can schedule the system (it fits its pools at minimum replicas, the pools
are sized, or the cluster is an existing one), 1 when it does not fit, 2 on bad input.
`;

interface PlanOptions {
  readonly stack?: string;
  readonly dir: string;
  readonly seed?: string;
  readonly services?: string;
  readonly cluster?: string;
  readonly mesh?: string;
}

/** The `config:` map of a Pulumi project or stack file; refuses what Pulumi would not run. */
function configOf(doc: unknown, file: string): Record<string, unknown> {
  if (!isPlainObject(doc)) throw new ConfigError(file, doc, "a Pulumi project or stack file (a map)");
  const config = doc.config ?? {};
  if (!isPlainObject(config)) throw new ConfigError(`${file}: config`, config, "a map of config keys");
  const legacy = Object.keys(config).filter((k) => k.startsWith("slop:"));
  if (legacy.length > 0) {
    throw new UsageError(
      `${file}: ${legacy.join(", ")}: the program reads the project namespace ${CONFIG_NAMESPACE}: now; rename ${legacy[0]} to ${CONFIG_NAMESPACE}:${legacy[0].slice("slop:".length)}`,
    );
  }
  const prefix = `${CONFIG_NAMESPACE}:`;
  const unknown = Object.keys(config).find((k) => {
    const key = k.startsWith(prefix) ? k.slice(prefix.length) : k;
    return (k.startsWith(prefix) || !k.includes(":")) && !PROGRAM_KEYS.has(key);
  });
  if (unknown !== undefined) {
    throw new ConfigError(
      `${file}: config.${unknown}`,
      config[unknown],
      "absent: the program reads no such key (Pulumi.yaml lists the keys)",
    );
  }
  return config;
}

/** The raw `k8s-slop:*` values of a stack from its files, as Pulumi assembles them, plus the flags. */
function rawConfig(opts: PlanOptions): Record<string, unknown> {
  let dirOk = false;
  try {
    dirOk = fs.statSync(opts.dir).isDirectory();
  } catch {
    dirOk = false;
  }
  if (!dirOk) throw new UsageError(`--dir ${opts.dir} is not a directory (the one holding Pulumi.yaml)`);
  const projectFile = path.join(opts.dir, "Pulumi.yaml");
  const project = fs.existsSync(projectFile) ? configOf(readDocument(projectFile), projectFile) : {};
  const stackFile = path.join(opts.dir, `Pulumi.${opts.stack}.yaml`);
  const stack = opts.stack === undefined ? {} : configOf(readDocument(stackFile), stackFile);
  const raw = stackRawConfig(project, stack);
  if (opts.seed !== undefined) raw.seed = opts.seed;
  if (opts.services !== undefined) raw.services = opts.services;
  if (opts.cluster !== undefined) {
    raw.cluster = opts.cluster;
    // Pools sized "local" (a kind stack) say nothing about cloud machines.
    if (opts.cluster !== "kubeconfig") delete raw.region;
  }
  if (opts.mesh !== undefined) raw.mesh = opts.mesh;
  return raw;
}

/** `slop plan`: the capacity check of a stack (fits? nodes per pool) and its estimated hourly cost. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("plan")
    .description("check that a stack's system fits its node pools; nodes per pool and estimated $/hour")
    .option("--stack <name>", "read Pulumi.<name>.yaml over Pulumi.yaml (the project's values)")
    .option("--dir <dir>", "directory of Pulumi.yaml", ".")
    .option("--seed <seed>", "seed (overrides the stack's)")
    .option("--services <n>", "number of services (overrides the stack's)")
    .addOption(
      new Option("--cluster <provider>", "cluster provider (overrides the stack's)").choices(
        CLUSTER_PROVIDERS,
      ),
    )
    .addOption(new Option("--mesh <mesh>", "service mesh (overrides the stack's)").choices(MESHES))
    .addHelpText("after", EXAMPLES)
    .action((opts: PlanOptions) => {
      const raw = rawConfig(opts);
      const deploy = parseDeployConfig(raw);
      const config = parseConfig(
        Object.fromEntries(SLOP_KEYS.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]])),
      );
      const spec = generate(config);
      // As the program does: a missing incident file or one made for another system is refused.
      if (deploy.incident !== null) resolveIncident(spec, deploy.incident);
      const pods = [...systemPods(spec, deploy), ...stackPods(deploy)];
      const sum = (at: "minReplicas" | "maxReplicas", f: (p: (typeof pods)[number]) => number) =>
        pods.reduce((s, p) => s + p[at] * f(p), 0);
      const lines = [
        `system: seed ${spec.seed}, ${spec.services.length} services, mesh ${deploy.mesh}, cluster ${deploy.cluster}`,
        `pods (system + observability + mesh, without DaemonSets): ${sum("minReplicas", () => 1)} at minimum replicas, ${sum("maxReplicas", () => 1)} at maximum`,
        `requests: ${sum("minReplicas", (p) => p.cpuMillis)}m CPU / ${sum("minReplicas", (p) => p.memoryMiB)}Mi at minimum, ${sum("maxReplicas", (p) => p.cpuMillis)}m / ${sum("maxReplicas", (p) => p.memoryMiB)}Mi at maximum`,
      ];
      process.stdout.write(lines.join("\n") + "\n");
      let decision;
      try {
        decision = decidePools(spec, config.nodePools, deploy);
      } catch (err) {
        if (err instanceof CapacityError) throw new UsageError(err.message);
        throw err;
      }
      const report = decision.report;
      if (report === undefined) {
        process.stdout.write(
          "capacity: an existing cluster (cluster: kubeconfig); its nodes are unknown, so nothing is checked and nothing is billed by the stack\n",
        );
        return;
      }
      process.stdout.write(formatCapacity(report));
      if (decision.sized) {
        const nodes = decision.pools.map((p) => `${p.name} ${p.nodes}`).join(", ");
        process.stdout.write(
          `sizePools: the stack creates the sized pools (${nodes} nodes), $${report.usdPerHourSized.toFixed(4)}/h\n`,
        );
      }
      if (!decision.schedulable) setExit(EXIT_DIFF);
    });
}
