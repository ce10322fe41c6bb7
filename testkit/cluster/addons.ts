/**
 * The cluster's add-ons as Kubernetes objects (pure): CoreDNS, metrics-server, a local-path volume
 * provisioner with the default StorageClass, and the RBAC that kube-router (the NetworkPolicy
 * controller, a host process per node) and kube-proxy need. Their images are built locally
 * (images.ts), so every pod uses `imagePullPolicy: Never`: a missing image fails loudly instead of
 * trying a registry this machine cannot reach.
 */
import type { ClusterLayout } from "./layout";
import type { KubeObject } from "../kube-api";

export const ADDON_IMAGES = {
  coredns: "localhost/k8s-slop/coredns:v1.14.3",
  metricsServer: "localhost/k8s-slop/metrics-server:v0.8.0",
  localPath: "localhost/k8s-slop/local-path-provisioner:v0.0.30",
  busybox: "localhost/k8s-slop/busybox:1.35",
  /** For the stack's builtin Prometheus (k8s-slop:prometheusImage). */
  prometheus: "localhost/k8s-slop/prometheus:v3.16.0",
  /** For the stack's builtin OpenTelemetry Collector (k8s-slop:otelCollectorImage). */
  otelcol: "localhost/k8s-slop/otelcol:v0.165.0",
} as const;

const SYSTEM = "kube-system";
const LOCAL_PATH_NS = "local-path-storage";
/** The name the provisioner gives its helper pods (its --service-account-name default). */
const LOCAL_PATH_SA = "local-path-provisioner-service-account";

const restricted = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 65534,
  seccompProfile: { type: "RuntimeDefault" },
};

function clusterRole(name: string, rules: unknown[]): KubeObject {
  return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules };
}

function bindRole(name: string, role: string, subject: Record<string, string>): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [subject],
  };
}

const user = (name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name });
const serviceAccount = (name: string, namespace: string) => ({ kind: "ServiceAccount", name, namespace });

/** RBAC for the per-node host daemons: kube-proxy (a built-in role) and kube-router's policy controller. */
export function nodeDaemonRbac(): KubeObject[] {
  return [
    bindRole("k8s-slop:kube-proxy", "system:node-proxier", user("system:kube-proxy")),
    clusterRole("k8s-slop:kube-router", [
      {
        apiGroups: [""],
        resources: ["namespaces", "pods", "services", "nodes", "endpoints"],
        verbs: ["get", "list", "watch"],
      },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch", "update"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
    ]),
    bindRole("k8s-slop:kube-router", "k8s-slop:kube-router", user("system:kube-router")),
  ];
}

export function coreDns(l: ClusterLayout): KubeObject[] {
  const labels = { "k8s-app": "kube-dns" };
  const corefile = `.:53 {
    errors
    health :8080 {
      lameduck 5s
    }
    ready :8181
    kubernetes ${l.clusterDomain} in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
      ttl 30
    }
    prometheus :9153
    cache 30
    loop
    loadbalance
}
`;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "coredns", namespace: SYSTEM } },
    clusterRole("system:coredns", [
      {
        apiGroups: [""],
        resources: ["endpoints", "services", "pods", "namespaces"],
        verbs: ["list", "watch"],
      },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    ]),
    bindRole("system:coredns", "system:coredns", serviceAccount("coredns", SYSTEM)),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "coredns", namespace: SYSTEM },
      data: { Corefile: corefile },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "coredns", namespace: SYSTEM, labels },
      spec: {
        // Two replicas on two nodes and a budget, as kubeadm and managed clusters run it: a node drain
        // (tests/e2e/cluster.test.ts) evicts one while the other answers; one replica left DNS
        // down for the seconds its replacement took, and the drain's load pod found no gateway.
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" },
                ],
              },
            },
            serviceAccountName: "coredns",
            priorityClassName: "system-cluster-critical",
            tolerations: [{ operator: "Exists" }],
            containers: [
              {
                name: "coredns",
                image: ADDON_IMAGES.coredns,
                imagePullPolicy: "Never",
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { name: "dns", containerPort: 53, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                  { name: "metrics", containerPort: 9153, protocol: "TCP" },
                ],
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
                resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: "/health", port: 8080 }, periodSeconds: 10 },
                securityContext: {
                  ...restricted,
                  runAsNonRoot: false,
                  runAsUser: 0,
                  capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                },
              },
            ],
            volumes: [{ name: "config", configMap: { name: "coredns" } }],
          },
        },
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "coredns", namespace: SYSTEM, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kube-dns", namespace: SYSTEM, labels },
      spec: {
        clusterIP: l.dnsIp,
        selector: labels,
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
          { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
        ],
      },
    },
  ];
}

export function metricsServer(): KubeObject[] {
  const labels = { "k8s-app": "metrics-server" };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "metrics-server", namespace: SYSTEM } },
    clusterRole("system:metrics-server", [
      { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
    ]),
    clusterRole("system:aggregated-metrics-reader", [
      { apiGroups: ["metrics.k8s.io"], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
    ]),
    bindRole("system:metrics-server", "system:metrics-server", serviceAccount("metrics-server", SYSTEM)),
    bindRole(
      "metrics-server:system:auth-delegator",
      "system:auth-delegator",
      serviceAccount("metrics-server", SYSTEM),
    ),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "metrics-server-auth-reader", namespace: SYSTEM },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "extension-apiserver-authentication-reader",
      },
      subjects: [serviceAccount("metrics-server", SYSTEM)],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "metrics-server", namespace: SYSTEM, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "metrics-server",
            priorityClassName: "system-cluster-critical",
            tolerations: [{ operator: "Exists" }],
            containers: [
              {
                name: "metrics-server",
                image: ADDON_IMAGES.metricsServer,
                imagePullPolicy: "Never",
                args: [
                  "--cert-dir=/tmp",
                  "--secure-port=10250",
                  "--kubelet-preferred-address-types=InternalIP",
                  "--kubelet-use-node-status-port",
                  // The kubelets serve self-signed certificates, as on kind.
                  "--kubelet-insecure-tls",
                  // The HPA controller syncs every 15 s; 60 s (the default) would make scaling slow.
                  "--metric-resolution=15s",
                ],
                ports: [{ name: "https", containerPort: 10250, protocol: "TCP" }],
                readinessProbe: {
                  httpGet: { path: "/readyz", port: "https", scheme: "HTTPS" },
                  periodSeconds: 5,
                },
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                securityContext: restricted,
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "metrics-server", namespace: SYSTEM, labels },
      spec: { selector: labels, ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: "https" }] },
    },
    {
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: "v1beta1.metrics.k8s.io", labels },
      spec: {
        group: "metrics.k8s.io",
        version: "v1beta1",
        groupPriorityMinimum: 100,
        versionPriority: 100,
        insecureSkipTLSVerify: true,
        service: { name: "metrics-server", namespace: SYSTEM, port: 443 },
      },
    },
  ];
}

/**
 * Rancher's local-path provisioner: a claim becomes a hostPath volume under the node's directory,
 * created when the first pod that uses it is scheduled (WaitForFirstConsumer), so the pod and its
 * data share a node. `local-path` is the default StorageClass.
 */
export function localPath(l: ClusterLayout): KubeObject[] {
  const labels = { app: "local-path-provisioner" };
  const nodePathMap = l.nodes.map((n) => ({ node: n.name, paths: [`${n.dir}/volumes`] }));
  const helperPod = `apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  priorityClassName: system-node-critical
  tolerations:
    - key: node.kubernetes.io/disk-pressure
      operator: Exists
      effect: NoSchedule
  containers:
    - name: helper-pod
      image: ${ADDON_IMAGES.busybox}
      imagePullPolicy: Never
`;
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: LOCAL_PATH_NS } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: LOCAL_PATH_SA, namespace: LOCAL_PATH_NS } },
    clusterRole("local-path-provisioner", [
      {
        apiGroups: [""],
        resources: ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"],
        verbs: ["get", "list", "watch"],
      },
      {
        apiGroups: [""],
        resources: ["persistentvolumes"],
        verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
      },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
    ]),
    bindRole(
      "local-path-provisioner",
      "local-path-provisioner",
      serviceAccount(LOCAL_PATH_SA, LOCAL_PATH_NS),
    ),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "local-path-provisioner", namespace: LOCAL_PATH_NS },
      rules: [
        {
          apiGroups: [""],
          resources: ["pods"],
          verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "local-path-provisioner", namespace: LOCAL_PATH_NS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "local-path-provisioner" },
      subjects: [serviceAccount(LOCAL_PATH_SA, LOCAL_PATH_NS)],
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "local-path-config", namespace: LOCAL_PATH_NS },
      data: {
        "config.json": JSON.stringify({ nodePathMap }),
        setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
        "helperPod.yaml": helperPod,
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "local-path-provisioner", namespace: LOCAL_PATH_NS, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: LOCAL_PATH_SA,
            tolerations: [{ operator: "Exists" }],
            containers: [
              {
                name: "local-path-provisioner",
                image: ADDON_IMAGES.localPath,
                imagePullPolicy: "Never",
                command: [
                  "/local-path-provisioner",
                  "--debug",
                  "start",
                  "--config",
                  "/etc/config/config.json",
                  "--helper-image",
                  ADDON_IMAGES.busybox,
                ],
                env: [
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                ],
                volumeMounts: [{ name: "config", mountPath: "/etc/config" }],
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                securityContext: restricted,
              },
            ],
            volumes: [{ name: "config", configMap: { name: "local-path-config" } }],
          },
        },
      },
    },
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: "local-path",
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "rancher.io/local-path",
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Delete",
    },
  ];
}
