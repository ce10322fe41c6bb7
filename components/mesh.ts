/**
 * `Mesh`: `istio` (base + istiod, mesh-wide STRICT mTLS), `linkerd` (CRDs + control plane, trust
 * anchor and issuer from @pulumi/tls; mTLS is on for every meshed pod) or `none`. Returns what
 * expand() needs: namespace labels/annotations for sidecar injection and the control-plane
 * namespaces pods must reach (extraEgressNamespaces).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { SIDECAR } from "./capacity-plan";
import type { Mesh as MeshKind } from "./config";
import { CHARTS, releaseChart } from "./charts";

export interface MeshArgs {
  /** @default "none" */
  readonly mesh?: MeshKind;
}

export interface MeshIntegration {
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly namespaceAnnotations: Readonly<Record<string, string>>;
  readonly egressNamespaces: readonly string[];
  /**
   * Ports a meshed call uses besides gRPC: each NetworkPolicy lets a service reach them on its
   * callees and admits them from its callers (expand's `extraCallPorts`).
   */
  readonly callPorts: readonly number[];
  /** Pod annotations for run-to-completion pods (the load Job), so the proxy does not keep them alive. */
  readonly jobPodAnnotations: Readonly<Record<string, string>>;
}

/**
 * Linkerd's proxy inbound port. With the chart's default `proxy.outboundTransportMode:
 * transport-header` (linkerd2 edge-25.11.1, charts/linkerd-control-plane/values.yaml:253), the
 * destination controller gives every meshed endpoint this port as its transport port
 * (controller/api/destination/endpoint_translator.go:668-674) and the caller's proxy dials
 * <callee pod IP>:4143 instead of :50051 (linkerd2-proxy: the endpoint's tagged-transport port
 * overrides the target port). A NetworkPolicy is enforced outside the pods' network namespaces,
 * where proxy-init's iptables redirects do not apply: it sees the connection the caller's proxy
 * opens (to 4143; the app's own connection to :50051 is redirected to the proxy inside the caller's
 * pod and never leaves it) and the port the packet arrives on at the callee (4143, before the
 * callee's redirect). So the caller's egress and the callee's ingress must both allow 4143.
 */
export const LINKERD_INBOUND_PORT = 4143;
/** Linkerd runs the proxy as a native sidecar (an init container), which ends with the Job's main container. */
export const LINKERD_NATIVE_SIDECAR = "config.beta.linkerd.io/proxy-enable-native-sidecar";
/**
 * The proxy's requests. The chart sets none by default, and the HPA controller computes no CPU
 * utilisation for a pod in which any container lacks a CPU request, so no HPA would act. The
 * injector reads these from the namespace's annotations for every pod it injects
 * (controller/proxy-injector/webhook.go:108, pkg/inject/inject.go:390). The values are the chart's
 * values-ha.yaml ones and what the capacity check counts per meshed pod (SIDECAR.linkerd).
 */
export const LINKERD_PROXY_CPU_REQUEST = "config.linkerd.io/proxy-cpu-request";
export const LINKERD_PROXY_MEMORY_REQUEST = "config.linkerd.io/proxy-memory-request";
/**
 * Istio's injector runs the proxy as a native sidecar only when told to: 1.30's default
 * ENABLE_NATIVE_SIDECARS=auto (pilot/pkg/features/pilot.go:331) turns it on only when every node's
 * kubelet is 1.33 or later (pkg/kube/inject/webhook.go:1235-1290; a new pod has no node yet, so all
 * nodes count). Otherwise the proxy is a plain container that outlives the load generator and the
 * Job never completes. This pod annotation wins over the flag (pkg/kube/inject/inject.go:499-503);
 * native sidecars need Kubernetes 1.29 or later.
 */
export const ISTIO_NATIVE_SIDECAR = "sidecar.istio.io/nativeSidecar";

/** A namespaced custom object the mesh needs in the generated system's namespace. */
export interface MeshObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: Readonly<Record<string, unknown>>;
}

/**
 * Objects the mesh needs in the system's namespace. Istio: the mesh is STRICT, but Prometheus is
 * not meshed and scrapes the metrics port in plaintext, so the generated pods accept plaintext on
 * that port only. Istio applies port-level mTLS only from a policy with a workload selector
 * (pilot/pkg/security/authn/policy_applier.go), hence the selector on every generated pod.
 */
export function meshSystemObjects(
  mesh: MeshKind,
  namespace: string,
  podLabels: Readonly<Record<string, string>>,
  metricsPort: number,
): MeshObject[] {
  if (mesh !== "istio") return [];
  return [
    {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "k8s-slop-metrics", namespace },
      spec: {
        selector: { matchLabels: { ...podLabels } },
        mtls: { mode: "STRICT" },
        portLevelMtls: { [String(metricsPort)]: { mode: "PERMISSIVE" } },
      },
    },
  ];
}

export const ISTIO_NAMESPACE = "istio-system";
export const LINKERD_NAMESPACE = "linkerd";
/** Linkerd's identity issuer is rotated by `pulumi up` before it expires. */
export const LINKERD_ISSUER_HOURS = 24 * 365;
export const LINKERD_ANCHOR_HOURS = 24 * 365 * 10;

/** Pure: what the generated system's namespace and NetworkPolicies need for each mesh. */
export function meshIntegration(mesh: MeshKind): MeshIntegration {
  switch (mesh) {
    case "none":
      return {
        namespaceLabels: {},
        namespaceAnnotations: {},
        egressNamespaces: [],
        callPorts: [],
        jobPodAnnotations: {},
      };
    case "istio":
      // The sidecar dials the callee on the port the app asked for (50051), so no extra port.
      return {
        namespaceLabels: { "istio-injection": "enabled" },
        namespaceAnnotations: {},
        egressNamespaces: [ISTIO_NAMESPACE],
        callPorts: [],
        jobPodAnnotations: { [ISTIO_NATIVE_SIDECAR]: "true" },
      };
    case "linkerd":
      return {
        namespaceLabels: {},
        namespaceAnnotations: {
          "linkerd.io/inject": "enabled",
          [LINKERD_PROXY_CPU_REQUEST]: `${SIDECAR.linkerd.cpu}m`,
          [LINKERD_PROXY_MEMORY_REQUEST]: `${SIDECAR.linkerd.mem}Mi`,
        },
        egressNamespaces: [LINKERD_NAMESPACE],
        callPorts: [LINKERD_INBOUND_PORT],
        jobPodAnnotations: { [LINKERD_NATIVE_SIDECAR]: "true" },
      };
    default: {
      const never: never = mesh;
      throw new Error(`mesh must be none, istio or linkerd (got ${String(never)})`);
    }
  }
}

export class Mesh extends pulumi.ComponentResource {
  readonly mesh: MeshKind;
  readonly integration: MeshIntegration;
  /** Resources the meshed workloads must wait for (the control plane). */
  readonly ready: readonly pulumi.Resource[];

  constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8s-slop:index:Mesh", name, {}, opts);
    this.mesh = args.mesh ?? "none";
    this.integration = meshIntegration(this.mesh);
    switch (this.mesh) {
      case "none":
        this.ready = [];
        break;
      case "istio":
        this.ready = this.istio(name);
        break;
      case "linkerd":
        this.ready = this.linkerd(name);
        break;
      default: {
        const never: never = this.mesh;
        throw new pulumi.ResourceError(
          `k8s-slop:mesh must be none, istio or linkerd (got ${String(never)})`,
          this,
        );
      }
    }
    this.registerOutputs({ mesh: this.mesh, integration: this.integration });
  }

  private namespace(name: string, ns: string): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: ns } }, { parent: this });
  }

  private istio(name: string): pulumi.Resource[] {
    const ns = this.namespace(name, ISTIO_NAMESPACE);
    const base = new k8s.helm.v3.Release(
      `${name}-istio-base`,
      {
        name: "istio-base",
        namespace: ISTIO_NAMESPACE,
        ...releaseChart(CHARTS.istioBase),
        values: { defaultRevision: "default" },
      },
      { parent: this, dependsOn: [ns] },
    );
    const istiod = new k8s.helm.v3.Release(
      `${name}-istiod`,
      {
        name: "istiod",
        namespace: ISTIO_NAMESPACE,
        ...releaseChart(CHARTS.istiod),
        values: { meshConfig: { enableAutoMtls: true } },
      },
      { parent: this, dependsOn: [base] },
    );
    const strict = new k8s.apiextensions.CustomResource(
      `${name}-mtls`,
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: ISTIO_NAMESPACE },
        spec: { mtls: { mode: "STRICT" } },
      },
      { parent: this, dependsOn: [istiod] },
    );
    return [istiod, strict];
  }

  private linkerd(name: string): pulumi.Resource[] {
    const ns = this.namespace(name, LINKERD_NAMESPACE);
    const anchorKey = new tls.PrivateKey(
      `${name}-trust-anchor`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { parent: this },
    );
    const anchor = new tls.SelfSignedCert(
      `${name}-trust-anchor`,
      {
        privateKeyPem: anchorKey.privateKeyPem,
        isCaCertificate: true,
        setSubjectKeyId: true,
        validityPeriodHours: LINKERD_ANCHOR_HOURS,
        allowedUses: ["cert_signing", "crl_signing"],
        subject: { commonName: "root.linkerd.cluster.local" },
      },
      { parent: this },
    );
    const issuerKey = new tls.PrivateKey(
      `${name}-issuer`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { parent: this },
    );
    const issuerCsr = new tls.CertRequest(
      `${name}-issuer`,
      { privateKeyPem: issuerKey.privateKeyPem, subject: { commonName: "identity.linkerd.cluster.local" } },
      { parent: this },
    );
    const issuer = new tls.LocallySignedCert(
      `${name}-issuer`,
      {
        certRequestPem: issuerCsr.certRequestPem,
        caPrivateKeyPem: anchorKey.privateKeyPem,
        caCertPem: anchor.certPem,
        isCaCertificate: true,
        setSubjectKeyId: true,
        maxPathLength: 0,
        validityPeriodHours: LINKERD_ISSUER_HOURS,
        earlyRenewalHours: 24 * 30,
        allowedUses: ["cert_signing", "crl_signing"],
      },
      { parent: this },
    );
    const crds = new k8s.helm.v3.Release(
      `${name}-linkerd-crds`,
      { name: "linkerd-crds", namespace: LINKERD_NAMESPACE, ...releaseChart(CHARTS.linkerdCrds) },
      { parent: this, dependsOn: [ns] },
    );
    const controlPlane = new k8s.helm.v3.Release(
      `${name}-linkerd-control-plane`,
      {
        name: "linkerd-control-plane",
        namespace: LINKERD_NAMESPACE,
        ...releaseChart(CHARTS.linkerdControlPlane),
        values: {
          identityTrustAnchorsPEM: anchor.certPem,
          identity: {
            issuer: { tls: { crtPEM: issuer.certPem, keyPEM: pulumi.secret(issuerKey.privateKeyPem) } },
          },
        },
      },
      { parent: this, dependsOn: [crds] },
    );
    return [controlPlane];
  }
}
