/**
 * scripts/e2e-kind.sh cannot run here (no Docker daemon, no kind); its --dry-run can: it checks the
 * prerequisites and prints the plan without touching anything. PATH is a directory of stubs, so
 * the result does not depend on what this machine has installed.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const SCRIPT = join(__dirname, "..", "..", "scripts", "e2e-kind.sh");
const TOOLS = ["docker", "kind", "kubectl", "pulumi", "node", "npm", "curl"];

function pathWith(tools: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "slop-e2e-path-"));
  for (const util of ["dirname", "sed", "cat"]) {
    const found = spawnSync("/bin/sh", ["-c", `command -v ${util}`], { encoding: "utf8" }).stdout.trim();
    symlinkSync(found, join(dir, util));
  }
  for (const t of tools) {
    // A stub that would fail loudly if the dry run ever ran it.
    writeFileSync(join(dir, t), '#!/bin/sh\necho "stub $0 must not run in a dry run" >&2\nexit 99\n');
    chmodSync(join(dir, t), 0o755);
  }
  return dir;
}

const dryRun = (tools: readonly string[], args = ["--dry-run"]) =>
  spawnSync("/bin/bash", [SCRIPT, ...args], { encoding: "utf8", env: { PATH: pathWith(tools) } });

it("--dry-run with every prerequisite prints the plan and touches nothing (exit 0)", () => {
  const r = dryRun(TOOLS);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  for (const t of TOOLS) expect(r.stdout).toContain(`found   ${t}`);
  expect(r.stdout).toContain("kind create cluster --name slop-e2e");
  expect(r.stdout).toContain("pulumi up --yes");
  expect(r.stdout).toContain(">= 0.99");
  expect(r.stdout).toContain("no monitoring.coreos.com CRD");
  expect(r.stdout).toContain("dry run: all prerequisites found; nothing was created");
});

it("--dry-run names each missing prerequisite (exit 3)", () => {
  const r = dryRun(TOOLS.filter((t) => t !== "kind" && t !== "pulumi"));
  expect(r.status).toBe(3);
  expect(r.stdout).toContain("missing kind");
  expect(r.stdout).toContain("missing pulumi");
  expect(r.stderr).toContain("missing prerequisites: kind pulumi");
});

it("an unknown argument is bad usage (exit 2)", () => {
  const r = dryRun(TOOLS, ["--dryrun"]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('unknown argument "--dryrun"');
});
