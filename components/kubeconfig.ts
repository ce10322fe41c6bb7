/**
 * Pure builders of kubeconfig documents for clusters the stack creates. The result is JSON (a
 * valid kubeconfig; YAML is a superset) and is always wrapped in a Pulumi secret by the caller.
 */

export interface EksKubeconfigInput {
  readonly clusterName: string;
  readonly endpoint: string;
  /** Base64 certificate authority data of the cluster. */
  readonly caData: string;
  readonly region: string;
}

/**
 * A kubeconfig for one cluster whose user authenticates by running `command args...` on every call
 * (an exec credential plugin), so no token is stored that could expire.
 */
function execKubeconfig(
  clusterName: string,
  endpoint: string,
  caData: string,
  user: string,
  command: string,
  args: readonly string[],
): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user } }],
    "current-context": clusterName,
    users: [
      {
        name: user,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command,
            args,
            interactiveMode: "Never",
          },
        },
      },
    ],
  });
}

/** A kubeconfig that authenticates with `aws eks get-token` (the AWS CLI must be on PATH). */
export function eksKubeconfig(input: EksKubeconfigInput): string {
  return execKubeconfig(input.clusterName, input.endpoint, input.caData, `aws-${input.clusterName}`, "aws", [
    "eks",
    "get-token",
    "--cluster-name",
    input.clusterName,
    "--region",
    input.region,
  ]);
}

export interface DoKubeconfigInput {
  readonly clusterName: string;
  readonly clusterId: string;
  readonly endpoint: string;
  /** Base64 certificate authority data of the cluster. */
  readonly caData: string;
}

/**
 * A kubeconfig that authenticates with `doctl kubernetes cluster kubeconfig exec-credential`
 * (doctl must be on PATH, authenticated or with DIGITALOCEAN_ACCESS_TOKEN set): every call gets a
 * fresh token, unlike the cluster's rawConfig whose token expires after 7 days.
 */
export function doKubeconfig(input: DoKubeconfigInput): string {
  return execKubeconfig(input.clusterName, input.endpoint, input.caData, `do-${input.clusterName}`, "doctl", [
    "kubernetes",
    "cluster",
    "kubeconfig",
    "exec-credential",
    "--version=v1beta1",
    input.clusterId,
  ]);
}

/**
 * `count` equal subnets carved from an IPv4 CIDR, each 4 bits longer than the VPC's prefix
 * (10.0.0.0/16 -> 10.0.0.0/20, 10.0.16.0/20, ...). Throws if they do not fit.
 */
export function subnetCidrs(vpcCidr: string, count: number): string[] {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(vpcCidr);
  if (m === null) throw new Error(`not an IPv4 CIDR: ${vpcCidr}`);
  const prefix = Number(m[5]);
  const sub = prefix + 4;
  if (sub > 28 || count > 16) throw new Error(`cannot carve ${count} subnets from ${vpcCidr}`);
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (base & mask) >>> 0;
  const step = 2 ** (32 - sub);
  return Array.from({ length: count }, (_, i) => {
    const n = network + i * step;
    return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${sub}`;
  });
}
