/**
 * The load-generator Job (pure builder): `slop load` against the gateway, open loop, under the same
 * restricted security profile and with requests and limits like every generated pod. The stack's
 * optional Job (`k8s-slop:loadGenerator`) uses the defaults; an experiment's cluster backend names
 * one Job per run after the run, sets every load setting, warms the system up first (an init
 * container: load at the run's rate, not recorded, before the measured container's unloaded
 * baseline) and has the results printed to the log as a checksummed frame (loadgen/frame.ts),
 * which it reads back through the API: the emptyDir dies with the pod, the log does not.
 */
import type { Job } from "kubernetes-types/batch/v1";
import {
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  LABEL_PART_OF,
  MANAGED_BY,
  PART_OF,
} from "../core/k8s/labels";

export interface LoadJobInput {
  readonly namespace: string;
  readonly image: string;
  /** host:port of the gateway. */
  readonly target: string;
  readonly rps: number;
  readonly durationSeconds: number;
  readonly imagePullSecrets: readonly string[];
  /** Extra pod annotations (a mesh's native-sidecar switch). @default {} */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** @default LOADGEN_NAME */
  readonly name?: string;
  /** Extra labels of the Job and its pod (an experiment's and a run's ids). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Every load setting beyond rate and duration (an experiment's run). */
  readonly load?: JobLoadSettings;
}

export interface JobLoadSettings {
  readonly arrival: string;
  readonly arrivalSeed: string;
  /** Load at the rate before the measured container, not recorded (an init container). */
  readonly warmupSeconds: number;
  readonly baselineRequests: number;
  readonly maxInFlight: number;
  readonly deadlineMs: number;
  /** Print the results directory to the log as a frame (`slop load --print-results`). */
  readonly printResults: boolean;
}

/**
 * `pulumi up` does not wait for the Job: Pulumi gives a Job at most 10 minutes by default, while a
 * load may run for a day. Follow it with `kubectl -n <ns> wait --for=condition=complete job/slop-loadgen`.
 */
export const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" } as const;

export const LOADGEN_NAME = "slop-loadgen";
/** The runtime image's CLI (its entrypoint runs `slop serve`). */
export const LOADGEN_COMMAND = ["node", "bin/slop.js"];
/** Writable results directory (the root filesystem is read-only). */
export const RESULTS_DIR = "/tmp/slop-load";

/** The `slop load` arguments of the measured container (and, with `warmup`, of the warm-up one). */
export function loadArgs(input: LoadJobInput, warmup = false): string[] {
  const l = input.load;
  const out = warmup ? `${RESULTS_DIR}/warmup` : `${RESULTS_DIR}/run`;
  const base = ["load", "--target", input.target, "--rps", String(input.rps)];
  if (l === undefined) return [...base, "--duration", String(input.durationSeconds), "--out", out];
  return [
    ...base,
    "--duration",
    String(warmup ? l.warmupSeconds : input.durationSeconds),
    "--warmup",
    "0",
    "--arrival",
    l.arrival,
    "--arrival-seed",
    warmup ? `${l.arrivalSeed}/warmup` : l.arrivalSeed,
    "--max-in-flight",
    String(l.maxInFlight),
    "--deadline",
    String(l.deadlineMs),
    "--baseline",
    String(warmup ? 0 : l.baselineRequests),
    "--out",
    out,
    ...(l.printResults && !warmup ? ["--print-results"] : []),
  ];
}

export function loadGeneratorJob(
  input: LoadJobInput,
): Job & { metadata: { name: string; namespace: string } } {
  const name = input.name ?? LOADGEN_NAME;
  const labels = {
    [LABEL_NAME]: LOADGEN_NAME,
    [LABEL_PART_OF]: PART_OF,
    [LABEL_COMPONENT]: "loadgen",
    [LABEL_MANAGED_BY]: MANAGED_BY,
    ...input.labels,
  };
  const container = (containerName: string, args: string[]) => ({
    name: containerName,
    image: input.image,
    // The image's entrypoint is the slop CLI (default args: serve); name it explicitly and run load.
    command: LOADGEN_COMMAND,
    args,
    volumeMounts: [{ name: "results", mountPath: RESULTS_DIR }],
    resources: {
      requests: { cpu: "250m", memory: "128Mi" },
      limits: { cpu: "1", memory: "512Mi" },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
  });
  const warm = input.load !== undefined && input.load.warmupSeconds > 0;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: input.namespace, labels, annotations: { ...SKIP_AWAIT } },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: {
          labels,
          ...(Object.keys(input.podAnnotations ?? {}).length > 0
            ? { annotations: { ...input.podAnnotations } }
            : {}),
        },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          ...(input.imagePullSecrets.length > 0
            ? { imagePullSecrets: input.imagePullSecrets.map((name) => ({ name })) }
            : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumes: [{ name: "results", emptyDir: { sizeLimit: "256Mi" } }],
          ...(warm ? { initContainers: [container("warmup", loadArgs(input, true))] } : {}),
          containers: [container("loadgen", loadArgs(input))],
        },
      },
    },
  };
}
