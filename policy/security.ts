/**
 * The restricted Pod Security Standard, checked on a pod spec: non-root, no privilege
 * escalation, all capabilities dropped (only NET_BIND_SERVICE may be added), a RuntimeDefault or
 * Localhost seccomp profile, no privileged containers, no host namespaces, ports or paths.
 */
import type { PodSpec } from "kubernetes-types/core/v1";
import { allContainers } from "./workload";

const SECCOMP_OK = ["RuntimeDefault", "Localhost"];

export function restrictedSecurityContext(pod: PodSpec): string[] {
  const out: string[] = [];
  const podCtx = pod.securityContext ?? {};
  if (pod.hostNetwork === true) out.push("pod uses hostNetwork");
  if (pod.hostPID === true) out.push("pod uses hostPID");
  if (pod.hostIPC === true) out.push("pod uses hostIPC");
  for (const v of pod.volumes ?? [])
    if (v.hostPath !== undefined) out.push(`volume "${v.name}" is a hostPath`);
  if (podCtx.runAsUser === 0) out.push("pod runs as user 0");
  for (const c of allContainers(pod)) {
    const ctx = c.securityContext ?? {};
    const who = `container "${c.name}"`;
    if ((ctx.runAsNonRoot ?? podCtx.runAsNonRoot) !== true)
      out.push(`${who} does not set runAsNonRoot: true`);
    if ((ctx.runAsUser ?? podCtx.runAsUser) === 0) out.push(`${who} runs as user 0`);
    if (ctx.allowPrivilegeEscalation !== false)
      out.push(`${who} does not set allowPrivilegeEscalation: false`);
    if (ctx.privileged === true) out.push(`${who} is privileged`);
    if (!(ctx.capabilities?.drop ?? []).includes("ALL")) out.push(`${who} does not drop ALL capabilities`);
    const added = (ctx.capabilities?.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (added.length > 0) out.push(`${who} adds capabilities ${added.join(", ")}`);
    const seccomp = ctx.seccompProfile?.type ?? podCtx.seccompProfile?.type;
    if (seccomp === undefined || !SECCOMP_OK.includes(seccomp)) {
      out.push(`${who} has seccomp profile ${seccomp ?? "unset"} (allowed: ${SECCOMP_OK.join(", ")})`);
    }
    for (const p of c.ports ?? [])
      if (p.hostPort !== undefined && p.hostPort !== 0) out.push(`${who} uses hostPort ${p.hostPort}`);
  }
  return out;
}
