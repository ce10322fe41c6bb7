/**
 * Prometheus as plain Kubernetes objects (pure builder), for clusters that cannot pull Helm charts
 * (air-gapped ones, and the local test cluster of docs/cluster.md): one Deployment with an emptyDir
 * for its TSDB, scraping every pod of the system namespace that carries the
 * `prometheus.io/scrape` annotation the generated Deployments set, on the port and path the
 * annotations name. What the kube-prometheus-stack chart adds (an operator, Alertmanager,
 * kube-state-metrics, node exporters) is not here; the generated services' metrics are.
 */
import type { KubeTyped } from "./kube-object";

export const BUILTIN_PROMETHEUS = "prometheus";
export const BUILTIN_PROMETHEUS_PORT = 9090;

export interface BuiltinPrometheusInput {
  readonly namespace: string;
  readonly systemNamespace: string;
  readonly image: string;
  /** Scrape interval. @default "5s" */
  readonly interval?: string;
}

export type PlainObject = KubeTyped & {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};

/** A builtin add-on's one-replica Deployment: `labels` on it, its selector and its pods. */
export function singleReplicaDeployment(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  podSpec: Record<string, unknown>,
): PlainObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: podSpec },
    },
  };
}

/** The container security context both builtin add-ons run with. */
export const HARDENED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** prometheus.yml: the system's annotated pods, with service, pod and namespace labels. */
export function builtinPrometheusConfig(systemNamespace: string, interval = "5s"): string {
  return `global:
  scrape_interval: ${interval}
  evaluation_interval: ${interval}
scrape_configs:
  - job_name: k8s-slop
    kubernetes_sd_configs:
      - role: pod
        namespaces:
          names: [${JSON.stringify(systemNamespace)}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: "true"
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        target_label: __metrics_path__
        regex: (.+)
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
        target_label: service
      - source_labels: [__meta_kubernetes_pod_label_slop_dev_service_id]
        target_label: service_id
`;
}

export function builtinPrometheusObjects(input: BuiltinPrometheusInput): PlainObject[] {
  const ns = input.namespace;
  const labels = { "app.kubernetes.io/name": BUILTIN_PROMETHEUS, "app.kubernetes.io/part-of": "k8s-slop" };
  const roleName = `k8s-slop-${ns}-prometheus`;
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: BUILTIN_PROMETHEUS, namespace: ns, labels },
    },
    // Cluster-scoped, so it does not wait for the system's namespace (created by another component);
    // the scrape config reads the system's namespace only.
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: roleName, labels },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
      subjects: [{ kind: "ServiceAccount", name: BUILTIN_PROMETHEUS, namespace: ns }],
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: BUILTIN_PROMETHEUS, namespace: ns, labels },
      data: { "prometheus.yml": builtinPrometheusConfig(input.systemNamespace, input.interval) },
    },
    singleReplicaDeployment(BUILTIN_PROMETHEUS, ns, labels, {
      serviceAccountName: BUILTIN_PROMETHEUS,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        fsGroup: 65534,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: BUILTIN_PROMETHEUS,
          image: input.image,
          args: [
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--storage.tsdb.retention.time=1d",
            `--web.listen-address=:${BUILTIN_PROMETHEUS_PORT}`,
          ],
          ports: [{ name: "http", containerPort: BUILTIN_PROMETHEUS_PORT }],
          readinessProbe: { httpGet: { path: "/-/ready", port: "http" }, periodSeconds: 5 },
          resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
          securityContext: HARDENED_CONTAINER,
          volumeMounts: [
            { name: "config", mountPath: "/etc/prometheus" },
            { name: "data", mountPath: "/prometheus" },
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: BUILTIN_PROMETHEUS } },
        { name: "data", emptyDir: {} },
      ],
    }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: BUILTIN_PROMETHEUS, namespace: ns, labels },
      spec: {
        selector: labels,
        ports: [{ name: "http", port: BUILTIN_PROMETHEUS_PORT, targetPort: "http" }],
      },
    },
  ];
}
