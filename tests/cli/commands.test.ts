import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../core/config";
import { expand } from "../../core/expand";
import { generate } from "../../core/spec";
import type { SystemSpec } from "../../core/types";
import { run } from "./run";

/** Every YAML document of `text` as plain data; fails on any parse error. */
function yamlDocuments(text: string): unknown[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  return docs.map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as unknown;
  });
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "slop-cli-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("--help", () => {
  it.each(["generate", "render", "graph", "diff"])("slop %s --help exits 0 with examples", async (cmd) => {
    const r = await run([cmd, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: slop ${cmd}`);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain(`$ slop ${cmd}`);
  });
});

describe("bad input exits 2 and writes nothing", () => {
  it.each([
    [["generate", "--services", "-1"], "services"],
    [["generate", "--services", "abc"], "services"],
    [["render", "--services", "0"], "services"],
    [["graph", "--services", "-1"], "services"],
    [["graph", "--format", "svg"], "svg"],
    [["render", "--otlp-endpoint", "not a url"], "--otlp-endpoint"],
    [["generate", "--config", "/nonexistent/slop.yaml"], "/nonexistent/slop.yaml"],
    [["generate", "--bogus"], "--bogus"],
  ])("slop %j", async (argv, named) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(named);
  });

  it("a bad value in the config file names its key", async () => {
    const file = path.join(tmp, "bad.yaml");
    fs.writeFileSync(file, "services: 3\nattachment: -2\n");
    const r = await run(["generate", "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("attachment");
  });

  it("generate --out writes no file on error", async () => {
    const out = path.join(tmp, "spec.json");
    expect((await run(["generate", "--services", "-1", "--out", out])).code).toBe(2);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it("generate --out into a missing directory names the file", async () => {
    const out = path.join(tmp, "missing", "spec.json");
    const r = await run(["generate", "--services", "3", "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot write ${out}`);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it("render --out onto a file is refused", async () => {
    const file = path.join(tmp, "f");
    fs.writeFileSync(file, "keep");
    const r = await run(["render", "--services", "2", "--out", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a directory");
    expect(fs.readFileSync(file, "utf8")).toBe("keep");
  });

  it("render --out writes no directory on error", async () => {
    const dir = path.join(tmp, "manifests");
    expect((await run(["render", "--services", "-1", "--out", dir])).code).toBe(2);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe("slop generate", () => {
  it("prints the spec as canonical JSON, byte-identical across runs", async () => {
    const a = await run(["generate", "--seed", "7", "--services", "12"]);
    const b = await run(["generate", "--seed", "7", "--services", "12"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const spec = JSON.parse(a.stdout) as SystemSpec;
    expect(a.stdout).toBe(`${JSON.stringify(spec, null, 2)}\n`);
    expect(spec.kind).toBe("System");
    expect(spec.seed).toBe("7");
    expect(spec.services).toHaveLength(12);
  });

  it("flags override the config file", async () => {
    const file = path.join(tmp, "c.json");
    fs.writeFileSync(file, JSON.stringify({ seed: 5, services: 4, namespace: "demo" }));
    const spec = JSON.parse(
      (await run(["generate", "--config", file, "--services", "6"])).stdout,
    ) as SystemSpec;
    expect(spec.services).toHaveLength(6);
    expect(spec.seed).toBe("5");
    expect(spec.config.namespace).toBe("demo");
  });

  it("--out writes the same bytes as stdout", async () => {
    const out = path.join(tmp, "spec.json");
    const r = await run(["generate", "--services", "5", "--out", out]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(fs.readFileSync(out, "utf8")).toBe((await run(["generate", "--services", "5"])).stdout);
    expect(fs.readdirSync(tmp)).toEqual(["spec.json"]);
  });
});

describe("slop render", () => {
  const spec = (): SystemSpec => generate(parseConfig({ seed: 9, services: 6 }));

  it("prints YAML documents, one per expanded object, in order", async () => {
    const r = await run(["render", "--seed", "9", "--services", "6"]);
    expect(r.code).toBe(0);
    expect(yamlDocuments(r.stdout)).toEqual(JSON.parse(JSON.stringify(expand(spec()))));
    expect(r.stdout).not.toMatch(/[&*]a\d/); // no YAML anchors/aliases
    expect((await run(["render", "--seed", "9", "--services", "6"])).stdout).toBe(r.stdout);
  });

  it("quotes strings that YAML 1.1 (kubectl) would read as booleans or numbers", async () => {
    const tricky = {
      "a/on": "on",
      "a/yes": "yes",
      "a/n": "n",
      "a/time": "1:20",
      "a/num": "1_000",
      "a/oct": "0755",
    };
    const file = path.join(tmp, "tricky.json");
    fs.writeFileSync(file, JSON.stringify({ services: 2, annotations: tricky }));
    const r = await run(["render", "--config", file]);
    expect(r.code).toBe(0);
    for (const version of ["1.1", "1.2"] as const) {
      const docs = parseAllDocuments(r.stdout, { version });
      const deployments = (Array.isArray(docs) ? docs : [])
        .map(
          (d) => d.toJS() as { kind: string; spec?: { template?: { metadata?: { annotations?: object } } } },
        )
        .filter((o) => o.kind === "Deployment");
      expect(deployments).toHaveLength(2);
      for (const d of deployments) expect(d.spec?.template?.metadata?.annotations).toMatchObject(tricky);
    }
  });

  it("--otlp-endpoint reaches the containers", async () => {
    const url = "http://collector.observability:4317";
    const r = await run(["render", "--services", "2", "--otlp-endpoint", url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(url);
    expect((await run(["render", "--services", "2"])).stdout).not.toContain(url);
  });

  it("--out DIR writes one file per object, named NN-kind-name.yaml, and prunes stale ones", async () => {
    const dir = path.join(tmp, "m");
    expect((await run(["render", "--seed", "9", "--services", "6", "--out", dir])).code).toBe(0);
    const objects = expand(spec());
    const files = fs
      .readdirSync(dir)
      .filter((f) => f !== ".slop-render.json")
      .sort();
    expect(files).toHaveLength(objects.length);
    files.forEach((f, i) => {
      const o = objects[i];
      expect(f).toBe(`${String(i).padStart(2, "0")}-${o?.kind.toLowerCase()}-${o?.metadata.name}.yaml`);
      expect(yamlDocuments(fs.readFileSync(path.join(dir, f), "utf8"))).toEqual([
        JSON.parse(JSON.stringify(o)),
      ]);
    });
    expect((await run(["render", "--seed", "9", "--services", "2", "--out", dir])).code).toBe(0);
    const fewer = expand(generate(parseConfig({ seed: 9, services: 2 })));
    expect(fs.readdirSync(dir).filter((f) => f !== ".slop-render.json")).toHaveLength(fewer.length);
  });
});

describe("slop graph", () => {
  it.each([
    ["dot", /^digraph /, /"A" -> "/],
    ["mermaid", /^flowchart LR\n/, /svc_A --> svc_/],
  ])("--format %s", async (format, head, edge) => {
    const r = await run(["graph", "--services", "5", "--format", format]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(head);
    expect(r.stdout).toMatch(edge);
    expect(r.stdout).toContain("A svc-a (gateway)");
  });
});

describe("slop render --out keeps the user's files (issue 10 item 2)", () => {
  it("refuses to overwrite a file it did not write, and deletes nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slop-render-own-"));
    const mine = path.join(dir, "00-namespace-slop.yaml");
    fs.writeFileSync(mine, "mine\n");
    const other = path.join(dir, "01-deployment-my-app.yaml");
    fs.writeFileSync(other, "also mine\n");
    const r = await run(["render", "--services", "2", "--out", dir]);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(mine, "utf8")).toBe("mine\n");
    expect(fs.readFileSync(other, "utf8")).toBe("also mine\n");
    fs.rmSync(mine);
    expect((await run(["render", "--services", "2", "--out", dir])).code).toBe(0);
    expect((await run(["render", "--services", "1", "--out", dir])).code).toBe(0);
    expect(fs.readFileSync(other, "utf8")).toBe("also mine\n");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("small things (issue 10, Part 3 item 12)", () => {
  it("--version prints the package version", async () => {
    const { version } = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"),
    ) as {
      version: string;
    };
    const r = await run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it("load --help lists every key of examples/sweep.yaml with its bounds, as the example's header promises", async () => {
    const example = fs.readFileSync(path.join(__dirname, "..", "..", "examples", "sweep.yaml"), "utf8");
    expect(example).toContain("`slop load --help` lists every sweep key");
    const doc = parseAllDocuments(example);
    const sweep = (Array.isArray(doc) ? doc[0]?.toJS() : undefined) as { load: object; grid: object };
    const r = await run(["load", "--help"]);
    expect(r.code).toBe(0);
    const keys = [
      "name:",
      "base:",
      ...Object.keys(sweep.load).map((k) => `load.${k}:`),
      "grid.rate:",
      "grid.arrival:",
      "grid.<key>:",
    ];
    expect(keys.length).toBeGreaterThan(8);
    for (const k of keys) expect(r.stdout).toContain(`  ${k} `);
    expect(r.stdout).toMatch(/load\.durationS: a number in 0\.1\.\.86400 \[default: 10\]/);
  });

  it("load's seed of the arrival times is --arrival-seed, not --seed (which means the system's seed elsewhere)", async () => {
    const r = await run(["load", "--help"]);
    expect(r.stdout).toContain("--arrival-seed <seed>");
    expect(r.stdout).not.toMatch(/^\s+--seed\b/m);
  });
});
