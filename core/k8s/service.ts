/** The ClusterIP Service `<name>`: named ports `grpc` (appProtocol grpc) and `metrics`. */
import { GRPC_PORT, METRICS_PORT } from "../types";
import type { ServiceContext } from "./context";
import { selectorLabels, serviceLabels } from "./labels";
import type { Service } from "./objects";

export function service(ctx: ServiceContext): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: ctx.svc.name, namespace: ctx.namespace, labels: serviceLabels(ctx.svc) },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(ctx.svc.name),
      ports: [
        { name: "grpc", port: GRPC_PORT, targetPort: "grpc", protocol: "TCP", appProtocol: "grpc" },
        { name: "metrics", port: METRICS_PORT, targetPort: "metrics", protocol: "TCP", appProtocol: "http" },
      ],
    },
  };
}
