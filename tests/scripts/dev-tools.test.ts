/**
 * scripts/dev-tools links what a user already has instead of building it: envtest's kube-apiserver
 * and etcd (KUBEBUILDER_ASSETS) of the pinned minor version, pulumi on PATH of the pinned version.
 * Stand-ins print the versions; nothing is built (each case wants only linkable tools).
 */
import { execFileSync, spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const SCRIPT = join(__dirname, "..", "..", "scripts", "dev-tools");
const pinned = (name: string) =>
  new RegExp(`^${name}=(\\S+)`, "m").exec(readFileSync(SCRIPT, "utf8"))?.[1] ?? "";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "dev-tools-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function stub(path: string, output: string): void {
  writeFileSync(path, `#!/bin/sh\necho "${output}"\n`, { mode: 0o755 });
}

function devTools(env: Record<string, string>, ...tools: string[]) {
  const r = spawnSync(SCRIPT, tools, {
    encoding: "utf8",
    env: { ...process.env, K8S_SLOP_TOOLS_DIR: join(dir, "cache"), ...env },
  });
  const bin = execFileSync(SCRIPT, ["--print-bin"], {
    encoding: "utf8",
    env: { ...process.env, K8S_SLOP_TOOLS_DIR: join(dir, "cache") },
  }).trim();
  return { ...r, bin };
}

it("links envtest's kube-apiserver and etcd when that kube-apiserver is of the pinned minor version", () => {
  const assets = join(dir, "envtest");
  mkdirSync(assets);
  const minor = pinned("KUBERNETES_VERSION").replace(/\.\d+$/, "");
  stub(join(assets, "kube-apiserver"), `Kubernetes ${minor}.1`);
  stub(join(assets, "etcd"), "etcd Version: 3.5.21");
  const r = devTools({ KUBEBUILDER_ASSETS: assets }, "kube-apiserver", "etcd");
  expect(r.status).toBe(0);
  expect(readlinkSync(join(r.bin, "kube-apiserver"))).toBe(join(assets, "kube-apiserver"));
  expect(readlinkSync(join(r.bin, "etcd"))).toBe(join(assets, "etcd"));
  expect(r.stdout).toContain("kube-apiserver: linked to");
  expect(r.stdout).not.toContain("building");
});

it("links pulumi from PATH only at the pinned version", () => {
  const path = join(dir, "path");
  mkdirSync(path);
  stub(join(path, "pulumi"), pinned("PULUMI_VERSION"));
  const r = devTools({ PATH: `${path}:${process.env.PATH ?? ""}` }, "pulumi");
  expect(r.status).toBe(0);
  expect(readlinkSync(join(r.bin, "pulumi"))).toBe(join(path, "pulumi"));
  expect(r.stdout).not.toContain("building");
});

it("runs its builds in two lanes and reports every failure of both, with exit 1", () => {
  // coredns builds in one lane and kube-router in the other; with the module proxy off and an
  // empty module cache both fail at `go mod tidy`, fast, and neither failure hides the other.
  const r = devTools(
    { GOPROXY: "off", GOMODCACHE: join(dir, "gomod"), GOFLAGS: "-modcacherw" },
    "coredns",
    "kube-router",
  );
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/coredns: FAILED after \d+ s/);
  expect(r.stdout).toMatch(/kube-router: FAILED after \d+ s/);
  const failed = /could not build: (.*)/.exec(r.stderr)?.[1]?.trim().split(" ").sort();
  expect(failed).toEqual(["coredns", "kube-router"]);
  expect(r.stderr).toContain("command: go mod tidy");
  // Each lane's bookkeeping (CPU seconds through `times`) works inside its subshell.
  expect(r.stderr).not.toMatch(/No such file|cannot open/);
});
