/**
 * The OpenTelemetry Collector as plain Kubernetes objects (pure builder), for clusters that cannot
 * pull Helm charts (the local test cluster of docs/cluster.md): one Deployment receiving OTLP/gRPC
 * under the Service name the chart would have (so the system's OTEL_EXPORTER_OTLP_ENDPOINT is the
 * same), and writing what it receives to its own output with the debug exporter (one line per span:
 * `kubectl logs`). No Jaeger: the spans are read from the collector's log.
 */
import { NAMES, OTLP_GRPC_PORT } from "./chart-values";
import { HARDENED_CONTAINER, singleReplicaDeployment, type PlainObject } from "./prometheus-builtin";

export const BUILTIN_OTEL_COLLECTOR = NAMES.otelCollector;

export interface BuiltinOtelCollectorInput {
  readonly namespace: string;
  /** An image whose entrypoint is a collector with the otlp receiver and the debug exporter. */
  readonly image: string;
}

/** The collector's config: OTLP/gRPC in; traces, metrics and logs out to its stdout, one line per item. */
export function builtinOtelCollectorConfig(): string {
  return `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:${OTLP_GRPC_PORT}
exporters:
  debug:
    verbosity: normal
    use_internal_logger: false
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
    metrics:
      receivers: [otlp]
      exporters: [debug]
    logs:
      receivers: [otlp]
      exporters: [debug]
`;
}

export function builtinOtelCollectorObjects(input: BuiltinOtelCollectorInput): PlainObject[] {
  const ns = input.namespace;
  const name = BUILTIN_OTEL_COLLECTOR;
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "k8s-slop" };
  return [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: ns, labels },
      data: { "config.yaml": builtinOtelCollectorConfig() },
    },
    singleReplicaDeployment(name, ns, labels, {
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name,
          image: input.image,
          args: ["--config=/etc/otelcol/config.yaml"],
          ports: [{ name: "otlp-grpc", containerPort: OTLP_GRPC_PORT }],
          readinessProbe: { tcpSocket: { port: "otlp-grpc" }, periodSeconds: 5 },
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "512Mi" } },
          securityContext: HARDENED_CONTAINER,
          volumeMounts: [{ name: "config", mountPath: "/etc/otelcol" }],
        },
      ],
      volumes: [{ name: "config", configMap: { name } }],
    }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: ns, labels },
      spec: {
        selector: labels,
        ports: [{ name: "otlp-grpc", port: OTLP_GRPC_PORT, targetPort: "otlp-grpc" }],
      },
    },
  ];
}
