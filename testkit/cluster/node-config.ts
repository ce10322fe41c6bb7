/**
 * Configuration files of a node's daemons (pure: text from the layout). Each keeps every path it
 * writes under the node's directory, so two nodes on one host never share state and `down` removes
 * all of it.
 *
 * Two settings exist because root here lacks CAP_SYS_RESOURCE, which a negative oom_score_adj needs:
 * the kubelet and kube-proxy keep oomScoreAdj 0, and containerd's `restrict_oom_score_adj` caps what
 * it asks runc for (a Guaranteed pod's -997, the sandbox's -998) at its own score.
 */
import * as path from "path";
import type { ClusterLayout, NodeLayout } from "./layout";

export const PAUSE_IMAGE = "localhost/k8s-slop/pause:3.10";

export const nodePaths = (n: NodeLayout) => ({
  containerdConfig: path.join(n.dir, "containerd.toml"),
  containerdSock: path.join(n.dir, "containerd.sock"),
  cniConfDir: path.join(n.dir, "cni", "net.d"),
  kubeletConfig: path.join(n.dir, "kubelet.yaml"),
  kubeletRoot: path.join(n.dir, "kubelet"),
  kubeconfig: path.join(n.dir, "kubelet.kubeconfig"),
  proxyConfig: path.join(n.dir, "kube-proxy.yaml"),
  proxyKubeconfig: path.join(n.dir, "kube-proxy.kubeconfig"),
  routerKubeconfig: path.join(n.dir, "kube-router.kubeconfig"),
  resolvConf: path.join(n.dir, "resolv.conf"),
  logs: path.join(n.dir, "logs"),
  podLogs: path.join(n.dir, "pod-logs"),
});

export function containerdConfig(n: NodeLayout): string {
  const p = nodePaths(n);
  const q = (s: string) => JSON.stringify(s);
  return `version = 2
root = ${q(path.join(n.dir, "containerd", "root"))}
state = ${q(path.join(n.dir, "containerd", "state"))}
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.grpc.v1.introspection.v1.tracing"]

[grpc]
  address = ${q(p.containerdSock)}

[ttrpc]
  address = ${q(`${p.containerdSock}.ttrpc`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(path.join(n.dir, "containerd", "opt"))}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(PAUSE_IMAGE)}
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${q(p.cniConfDir)}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${q(path.join(n.dir, "containerd", "runc"))}
        SystemdCgroup = false
`;
}

/** The pod network of one node: a bridge, addresses from its /24, no masquerade (pod IPs route). */
export function cniConfig(n: NodeLayout): string {
  return `${JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "k8s-slop",
      plugins: [
        {
          type: "bridge",
          bridge: "cni0",
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: n.podCidr, gateway: n.podGateway }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: path.join(n.dir, "cni", "ipam"),
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(l: ClusterLayout, n: NodeLayout, caFile: string): string {
  const p = nodePaths(n);
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${n.ip}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${caFile}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupRoot: ${n.cgroupRoot}
cgroupsPerQOS: true
clusterDNS: [${l.dnsIp}]
clusterDomain: ${l.clusterDomain}
containerRuntimeEndpoint: unix://${p.containerdSock}
imageServiceEndpoint: unix://${p.containerdSock}
failSwapOn: false
oomScoreAdj: 0
resolvConf: ${p.resolvConf}
podLogsDir: ${p.podLogs}
volumePluginDir: ${path.join(n.dir, "volume-plugins")}
rotateCertificates: false
serializeImagePulls: false
maxPods: 110
podPidsLimit: -1
# The host's disk is shared by every node: evict only when it is really full.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  nodefs.inodesFree: 2%
  imagefs.available: 2%
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
# Faster status for tests: a node reports every 10 s (default 10 s) and pods are checked more often.
nodeStatusUpdateFrequency: 10s
syncFrequency: 20s
shutdownGracePeriod: 0s
`;
}

export function kubeProxyConfig(l: ClusterLayout, n: NodeLayout): string {
  const p = nodePaths(n);
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${p.proxyKubeconfig}
hostnameOverride: ${n.name}
mode: iptables
clusterCIDR: ${l.podCidr}
bindAddress: ${n.ip}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
oomScoreAdj: 0
# nf_conntrack_max is host-wide (not per namespace): leave the host's settings alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

/** kube-router as the NetworkPolicy controller only (no routing, no service proxy, no CNI). */
export function kubeRouterArgs(n: NodeLayout): string[] {
  const p = nodePaths(n);
  return [
    `--kubeconfig=${p.routerKubeconfig}`,
    `--hostname-override=${n.name}`,
    "--run-firewall=true",
    "--run-router=false",
    "--run-service-proxy=false",
    "--enable-cni=false",
    "--enable-ibgp=false",
    "--enable-overlay=false",
    "--enable-pod-egress=false",
    "--metrics-port=0",
    "--health-port=20244",
    "--v=1",
  ];
}
