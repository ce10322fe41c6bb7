/**
 * Pure helpers for registries: the name a stack gives its own, and credentials (docker config
 * JSON; values are secrets: never log them).
 */
import { createHash } from "crypto";

/**
 * The name of the registry (DOCR) or repository (ECR) a stack creates for itself:
 * `k8s-slop-<12 hex>` from what identifies the stack (its organisation, project and stack names;
 * on DigitalOcean also the account's UUID, since a DOCR name is unique across DigitalOcean and
 * every self-managed backend calls its organisation "organization"). Stable while those do not
 * change, and valid for both (lowercase letters, digits and '-', at most 63 characters).
 */
export function stackRegistryName(identity: readonly string[]): string {
  const hash = createHash("sha256").update(JSON.stringify(identity)).digest("hex");
  return `k8s-slop-${hash.slice(0, 12)}`;
}

export interface RegistryLogin {
  readonly address: string;
  readonly username: string;
  readonly password: string;
}

/** The login for `server` in a `.dockerconfigjson` document (auths.<server>.auth = base64 user:pass). */
export function loginFromDockerConfig(json: string, server: string): RegistryLogin {
  const doc = JSON.parse(json) as {
    auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  };
  const entry = doc.auths?.[server];
  if (entry === undefined) {
    throw new Error(
      `docker config has no credentials for ${server} (has: ${Object.keys(doc.auths ?? {}).join(", ")})`,
    );
  }
  if (entry.username !== undefined && entry.password !== undefined) {
    return { address: server, username: entry.username, password: entry.password };
  }
  const decoded = Buffer.from(entry.auth ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new Error(`docker config entry for ${server} has no user:password auth`);
  return { address: server, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A `.dockerconfigjson` for one registry login. */
export function dockerConfigJson(login: RegistryLogin): string {
  const auth = Buffer.from(`${login.username}:${login.password}`, "utf8").toString("base64");
  return JSON.stringify({
    auths: { [login.address]: { username: login.username, password: login.password, auth } },
  });
}

/** The tag of an image reference (`repo:tag`, `repo:tag@sha256:..`), or undefined. */
export function imageTag(ref: string): string | undefined {
  const noDigest = ref.split("@")[0];
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > lastSlash ? noDigest.slice(colon + 1) : undefined;
}
