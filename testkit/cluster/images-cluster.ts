/**
 * The images the cluster itself needs, built from the tools in the bin directory and cached by the
 * digest of their inputs: the pause image (Kubernetes' own pause.c, compiled by dev-tools), CoreDNS,
 * metrics-server, the local-path provisioner, a busybox for its helper pods, and Prometheus for the
 * stack's builtin Prometheus, and the OpenTelemetry Collector for its builtin collector.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ADDON_IMAGES } from "./addons";
import { binariesRootfs, buildImage, type BuiltImage, type ImageSpec } from "./images";
import { PAUSE_IMAGE } from "./node-config";

interface AddonImage {
  readonly ref: string;
  readonly binary: string;
  readonly dest: string;
  /** busybox: applet links next to the binary. */
  readonly links?: readonly string[];
  readonly user?: string;
}

const ADDONS: readonly AddonImage[] = [
  { ref: PAUSE_IMAGE, binary: "pause", dest: "/pause", user: "65535:65535" },
  { ref: ADDON_IMAGES.coredns, binary: "coredns", dest: "/coredns" },
  { ref: ADDON_IMAGES.metricsServer, binary: "metrics-server", dest: "/metrics-server", user: "65534:65534" },
  { ref: ADDON_IMAGES.localPath, binary: "local-path-provisioner", dest: "/local-path-provisioner" },
  {
    ref: ADDON_IMAGES.busybox,
    binary: "busybox",
    dest: "/bin/busybox",
    links: [
      "sh",
      "mkdir",
      "rm",
      "rmdir",
      "chmod",
      "ls",
      "cat",
      "sleep",
      "echo",
      "test",
      "true",
      "false",
      "env",
    ],
  },
  { ref: ADDON_IMAGES.prometheus, binary: "prometheus", dest: "/bin/prometheus", user: "65534:65534" },
  { ref: ADDON_IMAGES.otelcol, binary: "otelcol", dest: "/otelcol", user: "65534:65534" },
];

function digestOf(files: readonly string[], extra: string): string {
  const h = createHash("sha256").update(extra);
  for (const f of files) h.update(f).update(fs.readFileSync(f));
  return h.digest("hex");
}

/** Builds (or finds in `cache`) one archive per add-on image. */
export function addonImages(bin: string, cache: string): BuiltImage[] {
  fs.mkdirSync(cache, { recursive: true });
  return ADDONS.map((a) => {
    const binary = path.join(bin, a.binary);
    const key = digestOf([binary], JSON.stringify(a));
    const name = a.ref.replace(/[^A-Za-z0-9_.-]+/g, "_");
    const keyFile = path.join(cache, `${name}.key`);
    const archive = path.join(cache, `${name}.tar`);
    if (fs.existsSync(archive) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, "utf8") === key) {
      return { ref: a.ref, archive, id: "" };
    }
    const root = path.join(cache, `${name}.rootfs`);
    binariesRootfs(root, [{ src: binary, dest: a.dest }]);
    for (const link of a.links ?? [])
      fs.symlinkSync(path.basename(a.dest), path.join(root, path.dirname(a.dest), link));
    const spec: ImageSpec = {
      ref: a.ref,
      layers: [{ dir: root }],
      config: {
        entrypoint: a.links === undefined ? [a.dest] : ["/bin/sh"],
        ...(a.user === undefined ? {} : { user: a.user }),
      },
    };
    const built = buildImage(spec, cache);
    fs.rmSync(root, { recursive: true, force: true });
    fs.writeFileSync(keyFile, key);
    return built;
  });
}
