import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { run } from "./run";

const ROOT = join(__dirname, "..", "..");

describe("slop plan", () => {
  it("an existing cluster: pods and requests, nothing to check (exit 0)", async () => {
    const r = await run(["plan", "--dir", ROOT, "--stack", "dev"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("seed 42, 8 services, mesh none, cluster kubeconfig");
    expect(r.stdout).toContain("its nodes are unknown");
  });

  it("seed 42 on EKS: the default pools do not fit, so the stack sizes them (sizePools is on by default on aws; exit 0)", async () => {
    const r = await run(["plan", "--dir", ROOT, "--cluster", "aws"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("capacity (aws): DOES NOT FIT at minimum replicas");
    expect(r.stdout).toMatch(/general +t3\.medium +3 .* +5 +12 +13 +0\.0416/);
    expect(r.stdout).toMatch(/estimated cost: \$0\.3080\/h as configured/);
    expect(r.stdout).toContain(
      "sizePools: the stack creates the sized pools (general 13, data 2 nodes), $0.7240/h",
    );
  });

  it("with sizePools false the default pools do not fit on EKS (exit 1)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slop-plan-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: k8s-slop\nconfig:\n  cluster: aws\n  sizePools: false\n");
    const r = await run(["plan", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("capacity (aws): DOES NOT FIT at minimum replicas");
    expect(r.stdout).not.toContain("sizePools:");
  });

  it("fits on larger pools (exit 0)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slop-plan-"));
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      "name: k8s-slop\nconfig:\n  seed: '42'\n  cluster: aws\n  nodePools:\n" +
        "    - {name: general, labels: {}, taints: [], nodes: 3, size: t3.xlarge}\n" +
        "    - {name: data, labels: {}, taints: [{key: slop.dev/pool, value: data, effect: NoSchedule}], nodes: 2, size: t3.xlarge}\n",
    );
    const r = await run(["plan", "--dir", dir]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("capacity (aws): fits at minimum replicas");
  });

  it.each([
    [["plan", "--cluster", "gke"], "gke"],
    [["plan", "--dir", ROOT, "--services", "abc"], "services"],
    [["plan", "--dir", ROOT, "--stack", "nope"], "Pulumi.nope.yaml"],
  ])("bad input %j exits 2 naming %s", async (argv, what) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(what);
  });
});
