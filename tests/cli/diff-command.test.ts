import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../../core/config";
import type { SystemDiff } from "../../core/diff";
import { generate } from "../../core/spec";
import { run } from "./run";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "slop-diff-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

describe("slop diff", () => {
  it("exits 0 and says so for the same seed", async () => {
    expect(await run(["diff", "42", "42", "--services", "8"])).toEqual({
      code: 0,
      stdout: "No differences.\n",
      stderr: "",
    });
  });

  it("exits 1 for different seeds and reports the seed change", async () => {
    const r = await run(["diff", "42", "43", "--services", "8"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('~ seed: "42" -> "43"');
  });

  it.each(["text", "markdown", "json"])("--format %s exits 1 on a difference", async (format) => {
    const r = await run(["diff", "1", "2", "--services", "5", "--format", format]);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it("--format json is the SystemDiff, with one service added for N vs N+1", async () => {
    const base = write("base.yaml", "services: 10\n");
    const more = write("more.yaml", "services: 11\n");
    const r = await run(["diff", base, more, "--format", "json"]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as SystemDiff;
    expect(d.summary.servicesAdded).toBe(1);
    expect(d.services.added[0]?.id).toBe("K");
    expect(d.config).toEqual([{ path: "services", from: 10, to: 11 }]);
  });

  it("lists the Deployment of every changed ConfigMap as a rollout, with --incident too", async () => {
    // Only service.json changes: every Deployment's only change is its config hash.
    const a = write("a.yaml", "seed: 42\nservices: 8\n");
    const b = write("b.yaml", "seed: 42\nservices: 8\nmaxInFlight: 7\n");
    const r = await run(["diff", a, b, "--format", "json"]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as SystemDiff;
    const configMaps = d.resources.changed.filter((c) => c.key.startsWith("v1/ConfigMap/")).map((c) => c.key);
    expect(configMaps).toHaveLength(8);
    const rollouts = d.resources.changed.flatMap((c) =>
      c.fields.flatMap((f) => ("rollout" in f ? [[c.key, f.rollout]] : [])),
    );
    expect(rollouts).toEqual(configMaps.map((k) => [k.replace("v1/ConfigMap/", "apps/v1/Deployment/"), k]));

    // A runtime fault rewrites the target's service.json: its Deployment rolls.
    const file = path.join(tmp, "incident.json");
    const gen = ["incident", "generate", "--seed", "42", "--services", "8", "--kind", "error-rate"];
    expect((await run([...gen, "--out", file])).code).toBe(0);
    const target = (JSON.parse(fs.readFileSync(file, "utf8")) as { fault: { target: { service: string } } })
      .fault.target.service;
    const name = generate(parseConfig({ seed: "42", services: 8 })).services.find(
      (s) => s.id === target,
    )?.name;
    const text = await run(["diff", "42", "42", "--services", "8", "--incident", file]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `  ~ apps/v1/Deployment/slop/${name} (rollout: ConfigMap ${name} changed)\n`,
    );
    expect(text.stdout).toContain(`  ~ v1/ConfigMap/slop/${name}\n`);
    expect(text.stdout).toMatch(/objects \+0 -0 ~2\n/);
  });

  it("generates seeds with the --config/--services base", async () => {
    const cfg = write("c.yaml", "services: 6\nnamespace: demo\n");
    const spec = path.join(tmp, "spec.json");
    expect(
      (await run(["generate", "--config", cfg, "--seed", "3", "--services", "7", "--out", spec])).code,
    ).toBe(0);
    expect((await run(["diff", spec, "3", "--config", cfg, "--services", "7"])).code).toBe(0);
    const r = await run(["diff", spec, "3", "--config", cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("~ services: 7 -> 6");
  });

  it("compares a spec file with a config file", async () => {
    const spec = path.join(tmp, "spec.json");
    await run(["generate", "--seed", "5", "--services", "4", "--out", spec]);
    const cfg = write("c.json", JSON.stringify({ seed: "5", services: 4 }));
    expect((await run(["diff", spec, cfg])).code).toBe(0);
  });

  it.each([
    ["a directory", (): string[] => ["diff", tmp, "42"], "not a file"],
    ["a bad config file", (): string[] => ["diff", write("bad.yaml", "services: -3\n"), "42"], "services"],
    ["invalid YAML", (): string[] => ["diff", write("x.yaml", "a: [1,\n"), "42"], "x.yaml"],
    [
      "a broken spec file",
      (): string[] => ["diff", write("s.json", JSON.stringify({ kind: "System", apiVersion: "v0" })), "42"],
      "s.json: seed must be set (required key",
    ],
    [
      "a missing file that looks like one",
      (): string[] => ["diff", "old.yaml", "42"],
      "old.yaml: no such file",
    ],
    [
      "a spec file calling an unknown service",
      (): string[] => {
        const spec = generate(parseConfig({ services: 3 }));
        const broken = {
          ...spec,
          services: spec.services.map((s, i) => (i === 1 ? { ...s, calls: ["ZZ"] } : s)),
        };
        return ["diff", write("broken.json", JSON.stringify(broken)), "42"];
      },
      'services.1.calls.0 must be the id of a service in the spec (got "ZZ")',
    ],
    [
      "a spec file with a name that is not a DNS label",
      (): string[] => {
        const spec = generate(parseConfig({ services: 3 }));
        const broken = { ...spec, services: spec.services.map((s) => ({ ...s, name: "Not A Label" })) };
        return ["diff", write("broken.json", JSON.stringify(broken)), "42"];
      },
      'services.0.name must be a DNS label (got "Not A Label")',
    ],
    [
      "a spec file expand() rejects (an unparsable path)",
      (): string[] => {
        const spec = generate(parseConfig({ services: 3 }));
        const broken = { ...spec, services: spec.services.map((s) => ({ ...s, paths: ["((("] })) };
        return ["diff", write("broken.json", JSON.stringify(broken)), "42"];
      },
      "broken.json: services.0.paths.0 must be a path in the grammar (at position 3",
    ],
    ["a bad --services", (): string[] => ["diff", "1", "2", "--services", "-1"], "services"],
    ["a bad --format", (): string[] => ["diff", "1", "2", "--format", "html"], "html"],
    ["a missing argument", (): string[] => ["diff", "1"], "missing required argument"],
  ])("exits 2 on %s", async (_name, argv, named) => {
    const r = await run(argv());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(named);
  });
});
