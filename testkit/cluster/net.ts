/**
 * The cluster's networks, made with iproute2 and removed without a trace: a switch namespace holding
 * the node bridge, a veth from the host into it, and one namespace per node with its own veth. The
 * host gets one interface (its address on the node network) and a route per node's pod range through
 * it; both vanish with the interface. Nothing is added to the host's iptables or sysctls.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import type { ClusterLayout, NodeLayout } from "./layout";

function ip(args: readonly string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function inNs(netns: string, cmd: string, args: readonly string[]): string {
  return execFileSync("ip", ["netns", "exec", netns, cmd, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function sysctl(netns: string, key: string, value: string): void {
  // /proc/sys under `ip netns exec` is the namespace's own for per-namespace keys.
  inNs(netns, "sh", ["-c", `echo ${value} > /proc/sys/${key.replace(/\./g, "/")}`]);
}

export function netnsExists(name: string): boolean {
  return fs.existsSync(`/run/netns/${name}`);
}

export function linkExists(name: string): boolean {
  try {
    ip(["link", "show", name]);
    return true;
  } catch {
    return false;
  }
}

/** Refuses to start when the cluster's ranges are already routed on this host (another network). */
export function checkFreeRanges(l: ClusterLayout): void {
  const routes = ip(["-4", "route", "show"]);
  for (const cidr of [l.nodeNetwork, l.podCidr, l.serviceCidr]) {
    const prefix = cidr.split(".").slice(0, 2).join(".");
    const hit = routes.split("\n").find((r) => r.startsWith(`${prefix}.`) && !r.includes(l.hostIf));
    if (hit !== undefined) {
      throw new Error(`the cluster needs ${cidr}, but this host already routes "${hit.trim()}"`);
    }
  }
}

export function createNetworks(l: ClusterLayout): void {
  ip(["netns", "add", l.switchNetns]);
  inNs(l.switchNetns, "ip", ["link", "set", "lo", "up"]);
  inNs(l.switchNetns, "ip", ["link", "add", "br0", "type", "bridge"]);
  inNs(l.switchNetns, "ip", ["link", "set", "br0", "up"]);
  ip(["link", "add", l.hostIf, "type", "veth", "peer", "name", "host", "netns", l.switchNetns]);
  inNs(l.switchNetns, "ip", ["link", "set", "host", "master", "br0", "up"]);
  ip(["addr", "add", `${l.hostIp}/24`, "dev", l.hostIf]);
  ip(["link", "set", l.hostIf, "up"]);
  for (const n of l.nodes) createNode(l, n);
  for (const n of l.nodes) ip(["route", "add", n.podCidr, "via", n.ip, "dev", l.hostIf]);
}

function createNode(l: ClusterLayout, n: NodeLayout): void {
  ip(["netns", "add", n.netns]);
  ip([
    "link",
    "add",
    n.switchPort,
    "netns",
    l.switchNetns,
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    n.netns,
  ]);
  inNs(l.switchNetns, "ip", ["link", "set", n.switchPort, "master", "br0", "up"]);
  inNs(n.netns, "ip", ["link", "set", "lo", "up"]);
  inNs(n.netns, "ip", ["addr", "add", `${n.ip}/24`, "dev", "eth0"]);
  inNs(n.netns, "ip", ["link", "set", "eth0", "up"]);
  inNs(n.netns, "ip", ["route", "add", "default", "via", l.hostIp]);
  for (const other of l.nodes) {
    if (other.name !== n.name) inNs(n.netns, "ip", ["route", "add", other.podCidr, "via", other.ip]);
  }
  // A node forwards between its pods' bridge and the node network; kube-proxy and the policy
  // controller need bridged pod traffic to pass iptables (both per namespace).
  sysctl(n.netns, "net.ipv4.ip_forward", "1");
  sysctl(n.netns, "net.bridge.bridge-nf-call-iptables", "1");
  sysctl(n.netns, "net.ipv4.conf.all.route_localnet", "1");
}

/** Every network namespace this cluster made, pods' included (their mounts are under `dir`). */
export function clusterNetns(l: ClusterLayout): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync("/run/netns");
  } catch {
    return [];
  }
  return names.filter((n) => n === l.switchNetns || l.nodes.some((node) => node.netns === n));
}

/** Removes the host interface (its routes go with it) and every namespace; idempotent. */
export function removeNetworks(l: ClusterLayout): void {
  if (linkExists(l.hostIf)) ip(["link", "del", l.hostIf]);
  for (const ns of clusterNetns(l)) ip(["netns", "del", ns]);
}
