/**
 * The Deployment of one service: one `slop serve` container under the restricted Pod Security
 * profile, native gRPC probes, the spec's resources and scheduling, the ConfigMap mounted at
 * /etc/slop, and a config-hash annotation so a changed `service.json` rolls the pods.
 *
 * `replicas` is omitted when an HPA manages the Deployment: Pulumi would otherwise reset it to the
 * declared value on every `up` and fight the autoscaler. The API server then creates it with one
 * replica and the HPA raises it to `minReplicas` at once.
 */
import type { Container, EnvVar, PodSpec, Volume, VolumeMount } from "kubernetes-types/core/v1";
import { GRPC_PORT, METRICS_PORT } from "../types";
import { CONFIG_DIR, CONFIG_PATH } from "./config-map";
import type { ServiceContext } from "./context";
import { selectorLabels, serviceLabels } from "./labels";
import type { Deployment } from "./objects";
import { DATA_DIR } from "./storage";

export const CONTAINER_NAME = "slop";
export const RUN_AS = 10001;
export const CONFIG_HASH_ANNOTATION = "slop.dev/config-hash";
/** Seconds the API server and proxies need to stop routing to a terminating pod. */
export const ENDPOINT_PROPAGATION_SECONDS = 10;
/** Kubernetes' own default; we never go below it. */
export const MIN_GRACE_SECONDS = 30;
export const TMP_SIZE_LIMIT = "64Mi";

/** Long enough for endpoint removal to propagate and the slowest in-flight request to finish. */
export function terminationGraceSeconds(requestTimeoutMs: number): number {
  return Math.max(MIN_GRACE_SECONDS, Math.ceil(requestTimeoutMs / 1000) + ENDPOINT_PROPAGATION_SECONDS);
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

function volumes(ctx: ServiceContext): { volumes: Volume[]; mounts: VolumeMount[] } {
  const volumes: Volume[] = [
    { name: "config", configMap: { name: ctx.svc.name } },
    { name: "tmp", emptyDir: { sizeLimit: TMP_SIZE_LIMIT } },
  ];
  const mounts: VolumeMount[] = [
    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
    { name: "tmp", mountPath: "/tmp" },
  ];
  const data = ctx.data;
  switch (data.type) {
    case "none":
      break;
    case "pvc":
      volumes.push({ name: "data", persistentVolumeClaim: { claimName: data.claimName } });
      mounts.push({ name: "data", mountPath: DATA_DIR });
      break;
    case "emptyDir":
      volumes.push({ name: "data", emptyDir: { sizeLimit: data.sizeLimit } });
      mounts.push({ name: "data", mountPath: DATA_DIR });
      break;
    default: {
      const never: never = data;
      throw new Error(`unknown data volume ${JSON.stringify(never)}`);
    }
  }
  return { volumes, mounts };
}

function container(ctx: ServiceContext, mounts: VolumeMount[]): Container {
  const { requests, limits } = ctx.svc.resources;
  return {
    name: CONTAINER_NAME,
    image: ctx.spec.config.image,
    args: ["serve"],
    env: env(ctx),
    ports: [
      { name: "grpc", containerPort: GRPC_PORT, protocol: "TCP" },
      { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
    ],
    readinessProbe: { grpc: { port: GRPC_PORT }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
    livenessProbe: {
      grpc: { port: GRPC_PORT },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      failureThreshold: 3,
      timeoutSeconds: 2,
    },
    resources: {
      requests: { cpu: requests.cpu, memory: requests.memory },
      limits: { cpu: limits.cpu, memory: limits.memory },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: mounts,
  };
}

/** Spec and config annotations, then ours: prometheus defaults may be overridden, the hash may not. */
function podAnnotations(ctx: ServiceContext): Record<string, string> {
  return {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(METRICS_PORT),
    "prometheus.io/path": "/metrics",
    ...ctx.spec.config.annotations,
    ...ctx.svc.annotations,
    [CONFIG_HASH_ANNOTATION]: ctx.configHash,
  };
}

function podSpec(ctx: ServiceContext): PodSpec {
  const { svc, spec } = ctx;
  const { volumes: vols, mounts } = volumes(ctx);
  const pod: PodSpec = {
    // With thousands of Services in the namespace, service links would flood the environment.
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: terminationGraceSeconds(spec.config.requestTimeoutMs),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS,
      runAsGroup: RUN_AS,
      fsGroup: RUN_AS,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [container(ctx, mounts)],
    volumes: vols,
  };
  if (spec.config.imagePullSecrets.length > 0) {
    pod.imagePullSecrets = spec.config.imagePullSecrets.map((name) => ({ name }));
  }
  if (Object.keys(svc.nodeSelector).length > 0) pod.nodeSelector = { ...svc.nodeSelector };
  if (svc.tolerations.length > 0) {
    pod.tolerations = svc.tolerations.map((t) => ({
      key: t.key,
      operator: t.operator,
      value: t.value,
      effect: t.effect,
    }));
  }
  if (mayRunSeveralPods(ctx)) {
    pod.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selectorLabels(svc.name) },
        // Spread each ReplicaSet on its own, so a rollout does not count the old pods.
        matchLabelKeys: ["pod-template-hash"],
      },
    ];
  }
  return pod;
}

export function deployment(ctx: ServiceContext): Deployment {
  const { svc } = ctx;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: svc.name, namespace: ctx.namespace, labels: serviceLabels(svc) },
    spec: {
      replicas: svc.hpa === null ? svc.replicas : undefined,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(svc.name) },
      // A ReadWriteOnce claim can only follow one pod: stop the old one before starting the new.
      strategy:
        ctx.data.type === "pvc"
          ? { type: "Recreate" }
          : { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        // Fresh label objects: no two places in the output share a reference.
        metadata: { labels: serviceLabels(svc), annotations: podAnnotations(ctx) },
        spec: podSpec(ctx),
      },
    },
  };
}
