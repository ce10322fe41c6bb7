/**
 * The control plane on the host: etcd on loopback, kube-apiserver on the node network's host address
 * (reachable from every node namespace and from the host), kube-controller-manager and
 * kube-scheduler. Flags are the ones kubeadm sets, minus what a single-host test cluster cannot use
 * (leader election, cloud providers), plus the HPA settings that make scaling observable in minutes.
 */
import * as path from "path";
import type { ClusterLayout } from "./layout";
import { CONTROL_PLANE_USERS, kubeconfigFile, pkiFile } from "./pki-setup";
import { startDaemon, type Daemon } from "./procs";

export interface ControlPlanePorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly controllerManager: number;
  readonly scheduler: number;
}

/**
 * How fast the HPA reacts here: the controller looks every 5 s (default 15 s) and scales in once the
 * recommendation has been lower for 30 s (default 300 s), so a test sees out and in within minutes.
 */
export const HPA_SYNC_PERIOD = "5s";
export const HPA_DOWNSCALE_STABILIZATION = "30s";

const logDir = (l: ClusterLayout) => path.join(l.dir, "logs");

export function startEtcd(l: ClusterLayout, bin: string, ports: ControlPlanePorts): Daemon {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return startDaemon({
    name: "etcd",
    bin: path.join(bin, "etcd"),
    args: [
      "--name=k8s-slop",
      `--data-dir=${path.join(l.dir, "etcd")}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=k8s-slop=${peer}`,
      "--quota-backend-bytes=2147483648",
    ],
    logDir: logDir(l),
    marker: l.dir,
  });
}

export function startApiServer(l: ClusterLayout, bin: string, ports: ControlPlanePorts): Daemon {
  const pki = (f: string) => pkiFile(l, f);
  return startDaemon({
    name: "kube-apiserver",
    bin: path.join(bin, "kube-apiserver"),
    args: [
      `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
      `--bind-address=${l.hostIp}`,
      `--advertise-address=${l.hostIp}`,
      `--secure-port=${l.apiPort}`,
      `--cert-dir=${l.pkiDir}`,
      `--tls-cert-file=${pki("apiserver.crt")}`,
      `--tls-private-key-file=${pki("apiserver.key")}`,
      `--client-ca-file=${pki("ca.crt")}`,
      `--service-account-key-file=${pki("sa.pub")}`,
      `--service-account-signing-key-file=${pki("sa.key")}`,
      `--service-account-issuer=https://kubernetes.default.svc.${l.clusterDomain}`,
      `--service-cluster-ip-range=${l.serviceCidr}`,
      "--authorization-mode=Node,RBAC",
      "--enable-admission-plugins=NodeRestriction",
      `--kubelet-client-certificate=${pki("apiserver-kubelet-client.crt")}`,
      `--kubelet-client-key=${pki("apiserver-kubelet-client.key")}`,
      "--kubelet-preferred-address-types=InternalIP",
      `--requestheader-client-ca-file=${pki("front-proxy-ca.crt")}`,
      "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-username-headers=X-Remote-User",
      `--proxy-client-cert-file=${pki("front-proxy-client.crt")}`,
      `--proxy-client-key-file=${pki("front-proxy-client.key")}`,
      // The API server runs on the host, which has no kube-proxy: reach aggregated APIs
      // (metrics-server) at their pods' addresses, which the host routes to.
      "--enable-aggregator-routing=true",
      "--allow-privileged=true",
      "--profiling=false",
      "--v=1",
    ],
    logDir: logDir(l),
    marker: l.dir,
  });
}

export function startControllerManager(l: ClusterLayout, bin: string, ports: ControlPlanePorts): Daemon {
  const kc = kubeconfigFile(l, CONTROL_PLANE_USERS.controllerManager);
  return startDaemon({
    name: "kube-controller-manager",
    bin: path.join(bin, "kube-controller-manager"),
    args: [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.controllerManager}`,
      `--cert-dir=${path.join(l.dir, "controller-manager")}`,
      `--cluster-signing-cert-file=${pkiFile(l, "ca.crt")}`,
      `--cluster-signing-key-file=${pkiFile(l, "ca.key")}`,
      `--root-ca-file=${pkiFile(l, "ca.crt")}`,
      `--service-account-private-key-file=${pkiFile(l, "sa.key")}`,
      "--use-service-account-credentials=true",
      `--cluster-cidr=${l.podCidr}`,
      "--allocate-node-cidrs=false",
      `--service-cluster-ip-range=${l.serviceCidr}`,
      `--horizontal-pod-autoscaler-sync-period=${HPA_SYNC_PERIOD}`,
      `--horizontal-pod-autoscaler-downscale-stabilization=${HPA_DOWNSCALE_STABILIZATION}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ],
    logDir: logDir(l),
    marker: l.dir,
  });
}

export function startScheduler(l: ClusterLayout, bin: string, ports: ControlPlanePorts): Daemon {
  const kc = kubeconfigFile(l, CONTROL_PLANE_USERS.scheduler);
  return startDaemon({
    name: "kube-scheduler",
    bin: path.join(bin, "kube-scheduler"),
    args: [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.scheduler}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ],
    logDir: logDir(l),
    marker: l.dir,
  });
}
