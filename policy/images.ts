/** No container image may float: a tag other than `latest`, or a digest, is required. */
import type { PodSpec } from "kubernetes-types/core/v1";
import { allContainers } from "./workload";

/** The tag of an image reference, "" when it has none (implicitly `latest`). */
export function tagOf(image: string): string {
  const name = image.split("@")[0];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > slash ? name.slice(colon + 1) : "";
}

export function noLatestTag(pod: PodSpec): string[] {
  const out: string[] = [];
  for (const c of allContainers(pod)) {
    const image = c.image ?? "";
    if (image === "") {
      out.push(`container "${c.name}" has no image`);
      continue;
    }
    if (image.includes("@sha256:")) continue;
    const tag = tagOf(image);
    if (tag === "" || tag === "latest")
      out.push(
        `container "${c.name}" image "${image}" floats (tag ${tag || "none"}; pin a version or digest)`,
      );
  }
  return out;
}
