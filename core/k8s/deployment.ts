/**
 * The Deployment of one service: one `slop serve` container under the restricted Pod Security
 * profile, native gRPC probes, the spec's resources and scheduling, the ConfigMap mounted at
 * /etc/slop, and a config-hash annotation so a changed `service.json` rolls the pods.
 *
 * `replicas` is omitted when an HPA manages the Deployment: Pulumi would otherwise reset it to the
 * declared value on every `up` and fight the autoscaler. The API server then creates it with one
 * replica and the HPA raises it to `minReplicas` at once.
 *
 * Literals are written with their keys in sorted order (see `canonical`).
 */
import type { Container, EnvVar, PodSpec, Volume, VolumeMount } from "kubernetes-types/core/v1";
import { GRPC_PORT, METRICS_PORT, type ServiceSpec } from "../types";
import { sortedRecord } from "../canonical";
import { CONFIG_DIR, CONFIG_PATH } from "./config-map";
import type { ServiceContext } from "./context";
import { selectorLabels, serviceLabels } from "./labels";
import type { Deployment } from "./objects";
import { hasPdb } from "./scaling";
import { DATA_DIR } from "./storage";

export const CONTAINER_NAME = "slop";
export const RUN_AS = 10001;
/** Pod template annotation: a hash of the `service.json` of the ConfigMap mounted as `CONFIG_VOLUME`. */
export const CONFIG_HASH_ANNOTATION = "slop.dev/config-hash";
/** The volume that mounts the service's ConfigMap at /etc/slop. */
export const CONFIG_VOLUME = "config";
/**
 * The pause before a terminating pod gets SIGTERM (a preStop `sleep`, Kubernetes >= 1.30) when the
 * service runs other pods: by then the endpoint controllers and kube-proxy have taken it out of its
 * Service, so the runtime's GOAWAY sends its clients' next calls to the other pods instead of failing
 * them (seen in a node drain on the real cluster of docs/cluster.md: 1.4% of requests failed without it).
 */
export const PRE_STOP_SECONDS = 5;
/**
 * The pause when the service may run a single pod. No other pod takes its calls: its replacement,
 * created when the old pod is evicted or deleted, must be Ready and in every node's proxy rules before
 * the old pod stops listening (meanwhile kube-proxy sends new connections to the terminating pod, as it
 * still passes its readiness probe). In a node drain on the real cluster the replacement was Ready
 * 5-7 s after the eviction (15 s with a volume to attach); with the 5 s pause the old pod stopped just
 * as it became Ready, and its callers' connections were refused for 2 s (4 of 579 requests failed).
 */
export const SINGLE_POD_PRE_STOP_SECONDS = 20;
/** After the pause and the slowest in-flight request: closing the server and flushing telemetry. */
export const SHUTDOWN_MARGIN_SECONDS = 5;
/** Kubernetes' own default; we never go below it. */
export const MIN_GRACE_SECONDS = 30;
export const TMP_SIZE_LIMIT = "64Mi";

/** The preStop pause of the service's pods: the short one where a PDB keeps a second pod up. */
export function preStopSeconds(svc: ServiceSpec): number {
  return hasPdb(svc) ? PRE_STOP_SECONDS : SINGLE_POD_PRE_STOP_SECONDS;
}

/** Long enough for the preStop pause, the slowest in-flight request and the shutdown to finish. */
export function terminationGraceSeconds(requestTimeoutMs: number, preStop: number): number {
  return Math.max(MIN_GRACE_SECONDS, preStop + Math.ceil(requestTimeoutMs / 1000) + SHUTDOWN_MARGIN_SECONDS);
}

/** Whether the service may run more than one pod (fixed replicas > 1, or any HPA). */
export function mayRunSeveralPods(ctx: ServiceContext): boolean {
  return ctx.svc.replicas > 1 || ctx.svc.hpa !== null;
}

function env(ctx: ServiceContext): EnvVar[] {
  const vars: Record<string, string> = {
    OTEL_SERVICE_NAME: ctx.svc.name,
    SLOP_CONFIG: CONFIG_PATH,
    SLOP_SERVICE_ID: ctx.svc.id,
  };
  if (ctx.data.type !== "none") vars.SLOP_DATA_DIR = DATA_DIR;
  if (ctx.opts.otlpEndpoint === null) {
    vars.OTEL_TRACES_EXPORTER = "none";
  } else {
    vars.OTEL_TRACES_EXPORTER = "otlp";
    vars.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.opts.otlpEndpoint;
    vars.OTEL_EXPORTER_OTLP_PROTOCOL = "grpc";
  }
  return Object.keys(vars)
    .sort()
    .map((name) => ({ name, value: vars[name] }));
}

/** Where the pod template lists the data volume (after the config and tmp volumes below). */
export const DATA_VOLUME_INDEX = 2;

function volumes(ctx: ServiceContext): { volumes: Volume[]; mounts: VolumeMount[] } {
  const volumes: Volume[] = [
    { configMap: { name: ctx.svc.name }, name: CONFIG_VOLUME },
    { emptyDir: { sizeLimit: TMP_SIZE_LIMIT }, name: "tmp" },
  ];
  const mounts: VolumeMount[] = [
    { mountPath: CONFIG_DIR, name: CONFIG_VOLUME, readOnly: true },
    { mountPath: "/tmp", name: "tmp" },
  ];
  const data = ctx.data;
  switch (data.type) {
    case "none":
      break;
    case "pvc":
      volumes.push({ name: "data", persistentVolumeClaim: { claimName: data.claimName } });
      mounts.push({ mountPath: DATA_DIR, name: "data" });
      break;
    case "emptyDir":
      volumes.push({ emptyDir: { sizeLimit: data.sizeLimit }, name: "data" });
      mounts.push({ mountPath: DATA_DIR, name: "data" });
      break;
    default: {
      const never: never = data;
      throw new Error(`unknown data volume ${JSON.stringify(never)}`);
    }
  }
  return { volumes, mounts };
}

function container(ctx: ServiceContext, mounts: VolumeMount[], preStop: number): Container {
  const { requests, limits } = ctx.svc.resources;
  return {
    args: ["serve"],
    env: env(ctx),
    image: ctx.spec.config.image,
    lifecycle: { preStop: { sleep: { seconds: preStop } } },
    livenessProbe: {
      failureThreshold: 3,
      grpc: { port: GRPC_PORT },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 2,
    },
    name: CONTAINER_NAME,
    ports: [
      { containerPort: GRPC_PORT, name: "grpc", protocol: "TCP" },
      { containerPort: METRICS_PORT, name: "metrics", protocol: "TCP" },
    ],
    readinessProbe: { failureThreshold: 3, grpc: { port: GRPC_PORT }, periodSeconds: 5, timeoutSeconds: 2 },
    resources: {
      limits: { cpu: limits.cpu, memory: limits.memory },
      requests: { cpu: requests.cpu, memory: requests.memory },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    },
    volumeMounts: mounts,
  };
}

/** Spec and config annotations, then ours: prometheus defaults may be overridden, the hash may not. */
function podAnnotations(ctx: ServiceContext): Record<string, string> {
  return sortedRecord({
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(METRICS_PORT),
    "prometheus.io/path": "/metrics",
    ...ctx.spec.config.annotations,
    ...ctx.svc.annotations,
    [CONFIG_HASH_ANNOTATION]: ctx.configHash,
  });
}

function podSpec(ctx: ServiceContext): PodSpec {
  const { svc, spec } = ctx;
  const { volumes: vols, mounts } = volumes(ctx);
  const preStop = preStopSeconds(svc);
  const pullSecrets = spec.config.imagePullSecrets;
  return {
    // `slop serve` never calls the Kubernetes API. Meshes do not need the token either: Istio and
    // Linkerd (>= 2.12, linkerd/linkerd2#7117) inject their own projected token volumes.
    automountServiceAccountToken: false,
    containers: [container(ctx, mounts, preStop)],
    // With thousands of Services in the namespace, service links would flood the environment.
    enableServiceLinks: false,
    ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
    ...(Object.keys(svc.nodeSelector).length > 0 ? { nodeSelector: sortedRecord(svc.nodeSelector) } : {}),
    securityContext: {
      fsGroup: RUN_AS,
      runAsGroup: RUN_AS,
      runAsNonRoot: true,
      runAsUser: RUN_AS,
      seccompProfile: { type: "RuntimeDefault" },
    },
    terminationGracePeriodSeconds: terminationGraceSeconds(spec.config.requestTimeoutMs, preStop),
    ...(svc.tolerations.length > 0
      ? {
          tolerations: svc.tolerations.map((t) => ({
            effect: t.effect,
            key: t.key,
            operator: t.operator,
            value: t.value,
          })),
        }
      : {}),
    ...(mayRunSeveralPods(ctx)
      ? {
          topologySpreadConstraints: [
            {
              labelSelector: { matchLabels: selectorLabels(svc.name) },
              // Spread each ReplicaSet on its own, so a rollout does not count the old pods.
              matchLabelKeys: ["pod-template-hash"],
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
            },
          ],
        }
      : {}),
    volumes: vols,
  };
}

export function deployment(ctx: ServiceContext): Deployment {
  const { svc } = ctx;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { labels: serviceLabels(svc), name: svc.name, namespace: ctx.namespace },
    spec: {
      ...(svc.hpa === null ? { replicas: svc.replicas } : {}),
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(svc.name) },
      // A ReadWriteOnce claim can only follow one pod: stop the old one before starting the new.
      strategy:
        ctx.data.type === "pvc"
          ? { type: "Recreate" }
          : { rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 }, type: "RollingUpdate" },
      template: {
        // Fresh label objects: no two places in the output share a reference.
        metadata: { annotations: podAnnotations(ctx), labels: serviceLabels(svc) },
        spec: podSpec(ctx),
      },
    },
  };
}
