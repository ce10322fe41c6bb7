/** The ClusterIP Service `<name>`: named ports `grpc` (appProtocol grpc) and `metrics`. */
import { GRPC_PORT, METRICS_PORT } from "../types";
import type { ServiceContext } from "./context";
import { selectorLabels, serviceLabels } from "./labels";
import type { Service } from "./objects";

export function service(ctx: ServiceContext): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { labels: serviceLabels(ctx.svc), name: ctx.svc.name, namespace: ctx.namespace },
    spec: {
      ports: [
        { appProtocol: "grpc", name: "grpc", port: GRPC_PORT, protocol: "TCP", targetPort: "grpc" },
        { appProtocol: "http", name: "metrics", port: METRICS_PORT, protocol: "TCP", targetPort: "metrics" },
      ],
      selector: selectorLabels(ctx.svc.name),
      type: "ClusterIP",
    },
  };
}
