/**
 * The pulumi backend: the same experiment on a Kubernetes cluster, through the Pulumi Automation
 * API (`@pulumi/pulumi/automation`, loaded only here).
 *
 *   per (system point, treatment)   a stack <prefix>-<treatment>-<point hash>, created or selected
 *                                   in a project directory under the results (the treatment's tree,
 *                                   linked; its Pulumi.<stack>.yaml is part of the record), its config
 *                                   set (setAllConfig; objects through setAllConfigJson), then `up`
 *   before the first run of a block the system settles: every Deployment available, every HPA steady
 *   per run                         one load Job named after the run (loadgen-job.ts: a warm-up init
 *                                   container, then `slop load --print-results`), its Job object, pods
 *                                   and logs kept in runs/<id>/, its results read back from the
 *                                   log's checksummed frame (loadgen/frame.ts), then the Job deleted
 *   recorded                        stack outputs, Kubernetes version, nodes and their sizes, the
 *                                   images the pods run by digest
 *   at the end (and on Ctrl-C)      `destroy` and remove every stack this session used, unless
 *                                   --keep; whatever is left is printed with the commands that remove it
 *
 * A block reuses its stack (repetitions do not rebuild the cluster system); the pulumi backend runs
 * open-loop load only, and of the runtime settings only `tracing` (the stack's own `tracing` key).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "fs";
import { createHash } from "crypto";
import { dirname, join } from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { loadGeneratorJob } from "../components/loadgen-job";
import { ConfigError } from "../core/errors";
import { decode } from "../loadgen/histogram";
import { decodeFrame } from "../loadgen/frame";
import type { PhaseTimes } from "../loadgen/generator";
import type { RunSummary } from "../loadgen/results";
import { writeAtomic } from "../loadgen/results";
import type { Backend, BlockRequest, BlockSystem, Measured, RunRequest } from "./backend";
import { clusterFacts, deleteJob, imageDigests, runJob, waitSettled } from "./cluster";
import type { Experiment } from "./document";
import { kubeClient, type Kube } from "./kube";

type PulumiSettings = Extract<Experiment["backend"], { type: "pulumi" }>;

export interface PulumiBackendOptions {
  readonly experiment: Experiment;
  readonly dir: string;
  /** Keep the stacks (and Jobs) at the end. */
  readonly keep: boolean;
  /** More environment for the pulumi CLI (PATH to a language host, PULUMI_HOME, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the `pulumi` binary is: <root>/bin/pulumi. @default the one on PATH */
  readonly pulumiRoot?: string;
  readonly log?: (line: string) => void;
}

interface StackUse {
  readonly name: string;
  readonly projectDir: string;
  readonly stack: Stack;
  outputs: Record<string, unknown>;
  /** What became of it: up, destroyed (and removed), kept (--keep), left (destroy failed). */
  state: "up" | "destroyed" | "kept" | "left";
}

/** Runtime settings a cluster system cannot take (they are process settings of the local runner). */
const LOCAL_ONLY = ["runtime.workers", "runtime.sampleRatio", "runtime.env"] as const;

/** The refusals of what the pulumi backend cannot run, before anything is created. */
export function checkPulumiExperiment(e: Experiment): void {
  if (e.load.mode !== "open")
    throw new ConfigError("load.mode", e.load.mode, "open with backend pulumi (its load Jobs run open loop)");
  const keys = [
    ...Object.keys(e.grid),
    ...e.treatments.flatMap((t) => Object.keys(t.settings)),
    ...Object.keys(e.runtime).map((k) => `runtime.${k}`),
  ];
  for (const k of keys) {
    if (k === "runtime.tracing" || !k.startsWith("runtime.")) continue;
    throw new ConfigError(
      k,
      "set",
      `unset with backend pulumi (only runtime.tracing applies on a cluster; ${LOCAL_ONLY.join(", ")} are local settings)`,
    );
  }
}

const shortHash = (s: string, n = 6): string => createHash("sha256").update(s).digest("hex").slice(0, n);

/** A Pulumi stack name for a (treatment, point): <prefix>-<treatment>-<point>. */
export function stackName(prefix: string, treatment: string, point: string): string {
  return `${prefix}-${treatment}-${point}`;
}

/** The load Job of a run: a DNS label of the experiment's and the run's ids. */
export function jobName(experimentId: string, runId: string): string {
  return `slop-${shortHash(experimentId)}-${runId}`.toLowerCase();
}

/** A label value (<= 63 chars of [A-Za-z0-9_.-], alphanumeric at both ends). */
const labelValue = (s: string): string => {
  const v = s.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 63);
  return v.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
};

/** The project directory of a tree for Pulumi: its Pulumi.yaml copied, everything else linked. */
function projectDir(dir: string, treatment: string, root: string): string {
  const p = join(dir, "pulumi", `project-${treatment}`);
  if (existsSync(join(p, "Pulumi.yaml"))) return p;
  mkdirSync(p, { recursive: true });
  copyFileSync(join(root, "Pulumi.yaml"), join(p, "Pulumi.yaml"));
  for (const entry of readdirSync(root)) {
    if (
      entry === "Pulumi.yaml" ||
      /^Pulumi\..*\.yaml$/.test(entry) ||
      entry === ".git" ||
      entry === "results"
    )
      continue;
    symlinkSync(join(root, entry), join(p, entry));
  }
  return p;
}

/** The stack config of a block: the experiment's deploy keys, the system's SlopConfig keys, tracing. */
export function stackConfig(
  settings: PulumiSettings,
  req: Pick<BlockRequest, "config" | "runtime">,
  touched: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...settings.config };
  const cfg = req.config as unknown as Record<string, unknown>;
  for (const k of new Set(["profile", "seed", ...touched.map((t) => t.split(".")[0] as string)])) {
    if (cfg[k] !== undefined) out[k] = cfg[k];
  }
  if (req.runtime.tracing !== undefined) out.tracing = req.runtime.tracing;
  return out;
}

/** The shell command that removes a stack left behind. */
function removeCommand(stateUrl: string, s: Pick<StackUse, "name" | "projectDir">): string {
  return `PULUMI_BACKEND_URL=${stateUrl} pulumi destroy --yes --stack ${s.name} --cwd ${s.projectDir} && pulumi stack rm --yes --stack ${s.name} --cwd ${s.projectDir}`;
}

const plain = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/**
 * A run's results from its load Job's logs ("<pod>/<container>" -> text): the loadgen container's
 * frame decoded, its files written under `dir`/job/ as the Job wrote them, and the run read back
 * (summary, histograms, phase times) under the experiment's run id.
 */
export function collectResults(
  logs: Readonly<Record<string, string>>,
  runId: string,
  dir: string,
): Pick<Measured, "summary" | "histograms" | "phases"> {
  const log = Object.entries(logs).find(([k]) => k.endsWith("/loadgen"))?.[1] ?? "";
  const files = decodeFrame(log);
  for (const [p, b] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, "job", p)), { recursive: true });
    writeFileSync(join(dir, "job", p), b);
  }
  const read = (p: string): unknown => JSON.parse((files[p] ?? Buffer.from("null")).toString("utf8"));
  const summary = read("runs/001/summary.json") as RunSummary | null;
  const h = read("runs/001/histograms.json") as Record<string, string> | null;
  const meta = read("runs/001/metadata.json") as { phases?: PhaseTimes } | null;
  if (summary === null || h === null || meta?.phases === undefined)
    throw new Error("the load Job's results frame lacks runs/001/{summary,histograms,metadata}.json");
  const hist = (k: string) => decode(h[k] as string);
  return {
    summary: { ...summary, id: runId },
    histograms: {
      latency: hist("latency"),
      service: hist("service"),
      sendLag: hist("sendLag"),
      baseline: hist("baseline"),
    },
    phases: meta.phases,
  };
}

type Automation = typeof import("@pulumi/pulumi/automation");

/** The backend once the Automation API is loaded: one method per part. */
class PulumiBackend implements Backend {
  readonly kind = "pulumi" as const;
  private readonly settings: PulumiSettings;
  private readonly stateUrl: string;
  private readonly envVars: Record<string, string>;
  private readonly prefix: string;
  private readonly stacks = new Map<string, StackUse>();
  private readonly kubes = new Map<string, Kube>();
  private readonly facts: Record<string, unknown> = {};
  /** SlopConfig keys the experiment sets (top-level keys go into each stack's config). */
  private readonly touched: readonly string[];
  private readonly log: (line: string) => void;

  constructor(
    private readonly o: PulumiBackendOptions,
    private readonly auto: Automation,
    private readonly pulumiCommand: Awaited<ReturnType<Automation["PulumiCommand"]["get"]>> | undefined,
  ) {
    const e = o.experiment;
    if (e.backend.type !== "pulumi") throw new Error("pulumiBackend: not a pulumi experiment");
    this.settings = e.backend;
    this.log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    this.stateUrl = this.settings.stateUrl ?? `file://${join(o.dir, "pulumi", "state")}`;
    if (this.stateUrl.startsWith("file://"))
      mkdirSync(this.stateUrl.slice("file://".length), { recursive: true });
    this.envVars = {
      PULUMI_BACKEND_URL: this.stateUrl,
      PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      ...o.env,
    };
    this.prefix = this.settings.stackPrefix ?? e.name;
    this.touched = [
      ...Object.keys(e.base),
      ...Object.keys(e.grid),
      ...e.treatments.flatMap((t) => Object.keys(t.settings)),
    ].filter((k) => !k.startsWith("runtime."));
  }

  describe(): Readonly<Record<string, unknown>> {
    return {
      type: "pulumi",
      stateUrl: this.stateUrl,
      keep: this.o.keep,
      stacks: [...this.stacks.values()].map((s) => ({
        name: s.name,
        projectDir: s.projectDir,
        state: s.state,
        outputs: Object.fromEntries(Object.entries(s.outputs).filter(([k]) => k !== "kubeconfig")),
      })),
      cluster: this.facts,
    };
  }

  async start(req: BlockRequest, signal: AbortSignal): Promise<BlockSystem> {
    const use = await this.up(req, signal);
    const ns = String(use.outputs["namespace"] ?? req.config.namespace);
    const kube = this.kubeFor(use);
    const barriers = this.o.experiment.workflow.barriers.length > 0 && this.settings.waitReady !== false;
    const settle = (s: AbortSignal) =>
      waitSettled(kube, ns, { timeoutMs: (this.settings.settleTimeoutS ?? 600) * 1000, signal: s });
    const settled = barriers ? await settle(signal) : null;
    const cluster = await clusterFacts(kube);
    const digests = await imageDigests(kube, ns);
    Object.assign(this.facts, { [use.name]: { ...cluster, imageDigests: digests } });
    const target = String(use.outputs["gatewayAddress"]);
    const image = this.settings.loadImage ?? String(use.outputs["image"] ?? req.config.image);
    return {
      extra: {
        stack: use.name,
        outputs: Object.fromEntries(Object.entries(use.outputs).filter(([k]) => k !== "kubeconfig")),
        kubernetesVersion: cluster.version,
        nodes: cluster.nodes,
        imageDigests: digests,
        settled,
      },
      phases: { systemReady: new Date().toISOString() },
      measure: async (r: RunRequest) => {
        // The barriers before each run: on a cluster both mean every Deployment available and every HPA steady.
        if (barriers) await settle(r.signal);
        return this.measure(kube, ns, target, image, req, r);
      },
      stop: async () => undefined,
    };
  }

  async close(): Promise<readonly string[]> {
    const left: string[] = [];
    for (const k of this.kubes.values()) k.close();
    for (const use of [...this.stacks.values()].filter((s) => s.state === "up")) {
      const how = removeCommand(this.stateUrl, use);
      if (this.o.keep) {
        use.state = "kept";
        left.push(`kept stack ${use.name}; remove it with: ${how}`);
        continue;
      }
      this.log(`pulumi destroy ${use.name} ...`);
      try {
        const chunks: string[] = [];
        await use.stack.destroy({ onOutput: (s) => chunks.push(s) });
        writeFileSync(join(this.o.dir, "pulumi", `destroy-${use.name}.log`), chunks.join(""));
        await use.stack.workspace.removeStack(use.name);
        use.state = "destroyed";
      } catch (err) {
        use.state = "left";
        left.push(
          `stack ${use.name} is left (destroy failed: ${(err as Error).message.split("\n")[0]}); remove it with: ${how}`,
        );
      }
    }
    this.writeStacks();
    return left;
  }

  /** The kubeconfig of a stack: its output (a cloud cluster), the deploy key (contents or path), or the ambient one. */
  private kubeFor(use: StackUse): Kube {
    const have = this.kubes.get(use.name);
    if (have !== undefined) return have;
    const cfg = this.settings.config ?? {};
    let file: string | undefined;
    const fromOutput = use.outputs["kubeconfig"];
    const fromConfig = cfg["kubeconfig"];
    const text =
      typeof fromOutput === "string"
        ? fromOutput
        : typeof fromConfig === "string" && fromConfig.includes("\n")
          ? fromConfig
          : undefined;
    if (text !== undefined) {
      file = join(this.o.dir, "pulumi", `kubeconfig-${use.name}`);
      writeFileSync(file, text, { mode: 0o600 });
    } else if (typeof fromConfig === "string") file = fromConfig;
    const k = kubeClient(file, typeof cfg["kubeContext"] === "string" ? cfg["kubeContext"] : undefined);
    this.kubes.set(use.name, k);
    return k;
  }

  /** DIR/pulumi/stacks.json: every stack this experiment used, its state and how to remove it. */
  private writeStacks(): void {
    const list = [...this.stacks.values()].map((s) => ({
      name: s.name,
      projectDir: s.projectDir,
      state: s.state,
      stateUrl: this.stateUrl,
      remove: removeCommand(this.stateUrl, s),
    }));
    writeAtomic(join(this.o.dir, "pulumi", "stacks.json"), `${JSON.stringify(list, null, 2)}\n`);
  }

  /** The block's stack: created or selected, its config set, `up` (once per stack and session). */
  private async up(req: BlockRequest, signal: AbortSignal): Promise<StackUse> {
    const name = stackName(this.prefix, req.treatment, req.point);
    const have = this.stacks.get(name);
    if (have !== undefined) return have;
    const workDir = projectDir(this.o.dir, req.treatment, req.build.root);
    const stack = await this.auto.LocalWorkspace.createOrSelectStack(
      { stackName: name, workDir },
      { workDir, envVars: this.envVars, pulumiCommand: this.pulumiCommand, secretsProvider: "passphrase" },
    );
    const use: StackUse = { name, projectDir: workDir, stack, outputs: {}, state: "up" };
    this.stacks.set(name, use);
    // Written before `up`: after a kill -9 this file says which stacks may hold resources.
    this.writeStacks();
    const config = stackConfig(this.settings, req, this.touched);
    const scalars = Object.entries(config).filter(([, v]) => typeof v !== "object" || v === null);
    const objects = Object.entries(config).filter(([, v]) => typeof v === "object" && v !== null);
    await stack.setAllConfig(
      Object.fromEntries(scalars.map(([k, v]) => [`k8s-slop:${k}`, { value: plain(v) }])),
    );
    if (objects.length > 0) {
      const json = objects.map(([k, v]) => [
        `k8s-slop:${k}`,
        { value: JSON.stringify(v), objectValue: v, secret: false },
      ]);
      await stack.workspace.setAllConfigJson(name, JSON.stringify(Object.fromEntries(json)));
    }
    // The stack's settings as set, kept (destroy's `stack rm` deletes the project's copy).
    copyFileSync(join(workDir, `Pulumi.${name}.yaml`), join(this.o.dir, "pulumi", `config-${name}.yaml`));
    const upLog = join(req.dir, "pulumi-up.log");
    this.log(`[${req.block}] pulumi up ${name} (log: ${upLog}) ...`);
    const chunks: string[] = [];
    try {
      // Ctrl-C cancels the update (Pulumi stops cleanly); close() then destroys what it created.
      await stack.up({ onOutput: (s) => chunks.push(s), signal });
    } finally {
      writeFileSync(upLog, chunks.join(""));
    }
    const outs = await stack.outputs();
    use.outputs = Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, v.value]));
    this.writeStacks();
    return use;
  }

  /** One run: its load Job, waited for, its object and logs kept, its results read back from the log's frame. */
  private async measure(
    kube: Kube,
    ns: string,
    target: string,
    image: string,
    block: BlockRequest,
    req: RunRequest,
  ): Promise<Measured> {
    const r = req.run;
    const load = req.load;
    const name = jobName(req.experimentId, r.id);
    const job = loadGeneratorJob({
      namespace: ns,
      image,
      target,
      rps: r.level,
      durationSeconds: load.durationS,
      imagePullSecrets: block.config.imagePullSecrets,
      name,
      labels: { "slop.dev/experiment": labelValue(req.experimentId), "slop.dev/run": r.id },
      load: {
        arrival: load.arrival,
        arrivalSeed: r.arrivalSeed,
        warmupSeconds: load.warmupS,
        baselineRequests: load.baselineRequests,
        maxInFlight: load.maxInFlight,
        deadlineMs: load.deadlineMs,
        printResults: true,
      },
    });
    const budgetS =
      load.warmupS +
      load.durationS +
      (load.baselineRequests * load.deadlineMs) / 1000 +
      (this.settings.jobTimeoutS ?? 300);
    mkdirSync(req.dir, { recursive: true });
    const out = await runJob(kube, job, { timeoutMs: budgetS * 1000, signal: req.signal });
    writeAtomic(join(req.dir, "job.json"), `${JSON.stringify({ job: out.job, pods: out.pods }, null, 2)}\n`);
    mkdirSync(join(req.dir, "logs"), { recursive: true });
    for (const [k, text] of Object.entries(out.logs))
      writeFileSync(join(req.dir, "logs", `${k.replace("/", "_")}.log`), text);
    if (!this.o.keep) await deleteJob(kube, ns, name);
    if (out.end !== "succeeded") {
      const what = out.end === "timeout" ? `did not finish within ${Math.round(budgetS)} s` : out.end;
      throw new Error(
        `load Job ${ns}/${name} ${what} (${out.pods.length} pod(s); its object and logs are in ${req.dir})`,
      );
    }
    const collected = collectResults(out.logs, r.id, req.dir);
    return { ...collected, extra: { job: name, namespace: ns, pods: out.pods.length }, target };
  }
}

export async function pulumiBackend(o: PulumiBackendOptions): Promise<Backend> {
  checkPulumiExperiment(o.experiment);
  const auto = await import("@pulumi/pulumi/automation");
  const cmd =
    o.pulumiRoot === undefined
      ? undefined
      : await auto.PulumiCommand.get({ root: o.pulumiRoot, skipVersionCheck: true });
  return new PulumiBackend(o, auto, cmd);
}
