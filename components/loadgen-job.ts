/**
 * The optional load-generator Job (pure builder): `slop load` against the gateway, open loop, under
 * the same restricted security profile and with requests and limits like every generated pod.
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

export function loadGeneratorJob(
  input: LoadJobInput,
): Job & { metadata: { name: string; namespace: string } } {
  const labels = {
    [LABEL_NAME]: LOADGEN_NAME,
    [LABEL_PART_OF]: PART_OF,
    [LABEL_COMPONENT]: "loadgen",
    [LABEL_MANAGED_BY]: MANAGED_BY,
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: LOADGEN_NAME, namespace: input.namespace, labels, annotations: { ...SKIP_AWAIT } },
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
          containers: [
            {
              name: "loadgen",
              image: input.image,
              // The image's entrypoint is the slop CLI (default args: serve); name it explicitly and run load.
              command: LOADGEN_COMMAND,
              args: [
                "load",
                "--target",
                input.target,
                "--rps",
                String(input.rps),
                "--duration",
                String(input.durationSeconds),
                "--out",
                `${RESULTS_DIR}/run`,
              ],
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
            },
          ],
        },
      },
    },
  };
}
