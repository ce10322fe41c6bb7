/** Everything the per-service builders need, resolved once per service by `expand()`. */
import type { ServiceSpec, SystemSpec } from "../types";
import type { DataVolume } from "./storage";

/** `ExpandOptions` with every default applied (see `core/expand.ts`). */
export interface ResolvedOptions {
  readonly otlpEndpoint: string | null;
  readonly observabilityNamespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly namespaceAnnotations: Readonly<Record<string, string>>;
  readonly extraEgressNamespaces: readonly string[];
  readonly extraCallPorts: readonly number[];
}

export interface ServiceContext {
  readonly spec: SystemSpec;
  readonly svc: ServiceSpec;
  readonly namespace: string;
  readonly opts: ResolvedOptions;
  /** Services that call this one, in spec order. */
  readonly callers: readonly ServiceSpec[];
  /** Services this one calls, in `svc.calls` order. */
  readonly callees: readonly ServiceSpec[];
  readonly data: DataVolume;
  /** `service.json`, exactly as the ConfigMap carries it. */
  readonly configJson: string;
  /** sha256 of `configJson`, 16 hex: the pod template annotation that rolls the Deployment. */
  readonly configHash: string;
}
