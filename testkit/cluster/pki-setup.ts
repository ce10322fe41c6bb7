/**
 * Every certificate and kubeconfig the cluster uses, made once per `up` in the pki directory.
 * Users are named the way Kubernetes' built-in RBAC expects (system:kube-controller-manager,
 * system:node:<name> in system:nodes, ...), so no extra bindings are needed for them.
 */
import * as fs from "fs";
import * as path from "path";
import { kubeconfig, makeCa, makeLeaf, makeServiceAccountKeys } from "../pki";
import type { ClusterLayout } from "./layout";

export interface Identity {
  readonly file: string;
  readonly commonName: string;
  readonly organizations?: readonly string[];
}

export const CONTROL_PLANE_USERS = {
  admin: { file: "admin", commonName: "k8s-slop-admin", organizations: ["system:masters"] },
  controllerManager: { file: "controller-manager", commonName: "system:kube-controller-manager" },
  scheduler: { file: "scheduler", commonName: "system:kube-scheduler" },
  kubeProxy: { file: "kube-proxy", commonName: "system:kube-proxy" },
  kubeRouter: { file: "kube-router", commonName: "system:kube-router" },
  apiserverKubeletClient: {
    file: "apiserver-kubelet-client",
    commonName: "kube-apiserver-kubelet-client",
    organizations: ["system:masters"],
  },
} as const satisfies Record<string, Identity>;

export const kubeletUser = (node: string): Identity => ({
  file: `kubelet-${node}`,
  commonName: `system:node:${node}`,
  organizations: ["system:nodes"],
});

export const pkiFile = (l: ClusterLayout, name: string): string => path.join(l.pkiDir, name);
export const kubeconfigFile = (l: ClusterLayout, user: Identity): string =>
  path.join(l.pkiDir, `${user.file}.kubeconfig`);

export function makePki(l: ClusterLayout): void {
  fs.mkdirSync(l.pkiDir, { recursive: true, mode: 0o700 });
  const dir = l.pkiDir;
  makeCa(dir, "ca", "k8s-slop-ca");
  makeCa(dir, "front-proxy-ca", "k8s-slop-front-proxy-ca");
  makeServiceAccountKeys(dir);
  makeLeaf(dir, "ca", {
    name: "apiserver",
    commonName: "kube-apiserver",
    sans: [
      `IP:${l.hostIp}`,
      `IP:${l.apiServiceIp}`,
      "IP:127.0.0.1",
      "DNS:localhost",
      "DNS:kubernetes",
      "DNS:kubernetes.default",
      "DNS:kubernetes.default.svc",
      `DNS:kubernetes.default.svc.${l.clusterDomain}`,
    ],
  });
  makeLeaf(dir, "front-proxy-ca", { name: "front-proxy-client", commonName: "front-proxy-client" });
  const users: Identity[] = [
    ...Object.values(CONTROL_PLANE_USERS),
    ...l.nodes.map((n) => kubeletUser(n.name)),
  ];
  for (const u of users) {
    makeLeaf(dir, "ca", { name: u.file, commonName: u.commonName, organizations: u.organizations });
    fs.writeFileSync(kubeconfigFile(l, u), kubeconfig(dir, { server: l.server, ca: "ca", user: u.file }), {
      mode: 0o600,
    });
  }
  fs.copyFileSync(kubeconfigFile(l, CONTROL_PLANE_USERS.admin), l.kubeconfigPath);
  fs.chmodSync(l.kubeconfigPath, 0o600);
}
