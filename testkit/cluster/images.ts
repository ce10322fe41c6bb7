/**
 * Container images without a registry or a Docker daemon: a root filesystem staged in a directory,
 * packed by GNU tar with fixed owners and times (the same files give the same layer digest), wrapped
 * in the `docker save` archive layout that `ctr images import` reads. Binaries come with the shared
 * libraries `ldd` names, so a Debian or Go binary runs in an image that has nothing else.
 */
import { createHash } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly user?: string;
  readonly workingDir?: string;
}

export interface Layer {
  /** A directory holding the layer's root filesystem. */
  readonly dir: string;
}

export interface ImageSpec {
  /** Repository and tag, e.g. `localhost/k8s-slop/coredns:v1.14.3`. */
  readonly ref: string;
  readonly layers: readonly Layer[];
  readonly config: ImageConfig;
}

export interface BuiltImage {
  readonly ref: string;
  /** The archive to import. */
  readonly archive: string;
  /** sha256 of the image config: the image ID containerd reports. */
  readonly id: string;
}

const sha256File = (file: string): string => {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
};

function packLayer(dir: string, out: string): void {
  execFileSync(
    "tar",
    ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", dir, "-cf", out, "."],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
}

/** Writes `<workDir>/<name>.tar` (docker-archive) for `spec`; returns its ref, path and image ID. */
export function buildImage(spec: ImageSpec, workDir: string): BuiltImage {
  const name = spec.ref.replace(/[^A-Za-z0-9_.-]+/g, "_");
  const stage = path.join(workDir, `${name}.d`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  const layerFiles: string[] = [];
  const diffIds: string[] = [];
  spec.layers.forEach((layer, i) => {
    const file = `layer${i}.tar`;
    packLayer(layer.dir, path.join(stage, file));
    layerFiles.push(file);
    diffIds.push(`sha256:${sha256File(path.join(stage, file))}`);
  });
  const config = {
    architecture: "amd64",
    os: "linux",
    created: "1970-01-01T00:00:00Z",
    config: {
      Entrypoint: spec.config.entrypoint,
      ...(spec.config.cmd === undefined ? {} : { Cmd: spec.config.cmd }),
      Env: spec.config.env ?? ["PATH=/usr/local/bin:/usr/bin:/bin"],
      ...(spec.config.user === undefined ? {} : { User: spec.config.user }),
      ...(spec.config.workingDir === undefined ? {} : { WorkingDir: spec.config.workingDir }),
    },
    rootfs: { type: "layers", diff_ids: diffIds },
  };
  const configText = JSON.stringify(config);
  const id = createHash("sha256").update(configText).digest("hex");
  fs.writeFileSync(path.join(stage, `${id}.json`), configText);
  fs.writeFileSync(
    path.join(stage, "manifest.json"),
    JSON.stringify([{ Config: `${id}.json`, RepoTags: [spec.ref], Layers: layerFiles }]),
  );
  const archive = path.join(workDir, `${name}.tar`);
  execFileSync("tar", ["-C", stage, "-cf", `${archive}.tmp`, "."], { stdio: ["ignore", "ignore", "pipe"] });
  fs.renameSync(`${archive}.tmp`, archive);
  fs.rmSync(stage, { recursive: true, force: true });
  return { ref: spec.ref, archive, id: `sha256:${id}` };
}

/** The shared libraries a dynamically linked binary loads (absolute paths), none for a static one. */
export function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync("ldd", [binary], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch {
    return []; // "not a dynamic executable"
  }
  const libs = new Set<string>();
  for (const line of out.split("\n")) {
    const m = /(?:=>\s*)?(\/[^\s]+)\s+\(0x/.exec(line);
    if (m?.[1] !== undefined) libs.add(m[1]);
  }
  return [...libs].sort();
}

/** Copies `src` to `root` + `dest` (creating directories), following a symlinked source. */
export function install(root: string, src: string, dest: string, mode?: number): void {
  const to = path.join(root, dest);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(src, to);
  if (mode !== undefined) fs.chmodSync(to, mode);
}

/** A root filesystem with each binary at its destination and the libraries it needs at theirs. */
export function binariesRootfs(root: string, binaries: readonly { src: string; dest: string }[]): void {
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(path.join(root, "tmp"), { recursive: true, mode: 0o1777 });
  fs.chmodSync(path.join(root, "tmp"), 0o1777);
  for (const b of binaries) {
    install(root, b.src, b.dest, 0o755);
    for (const lib of sharedLibraries(b.src)) install(root, fs.realpathSync(lib), lib);
  }
  // A passwd and group for the numeric users our pods run as (some programs look their user up).
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.writeFileSync(
    path.join(root, "etc", "passwd"),
    "root:x:0:0:root:/:/sbin/nologin\nslop:x:10001:10001:slop:/tmp:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n",
  );
  fs.writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nslop:x:10001:\nnobody:x:65534:\n");
}
