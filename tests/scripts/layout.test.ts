import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";

const ROOT = join(__dirname, "..", "..");

/** Every .ts file of the package's own code (not tests, not generated). */
function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts"))
        out.push({ file: relative(ROOT, p), text: readFileSync(p, "utf8") });
    }
  };
  for (const d of [
    "core",
    "cli",
    "components",
    "loadgen",
    "local",
    "eval",
    "experiment",
    "runtime",
    "bench",
    "testkit",
    "policy",
  ])
    walk(join(ROOT, d));
  return out;
}

describe("layout (issue 10, Part 4)", () => {
  const files = sources();

  it("bench/ does not import from tests/ (shared helpers live in testkit/)", () => {
    const offenders = files.filter((f) => f.file.startsWith("bench/") && /from "\.\.\/tests\//.test(f.text));
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it("one isPlainObject (core/errors.ts): no other file defines the check", () => {
    const check = /typeof (\w+) === "object" && \1 !== null && !Array\.isArray\(\1\)/;
    const offenders = files.filter(
      (f) =>
        f.file !== "core/errors.ts" &&
        /=>\s*\n?\s*typeof \w+ === "object"/.test(f.text) &&
        check.test(f.text),
    );
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it("one canonical-JSON helper and one sortedRecord (core/canonical.ts)", () => {
    const offenders = files.filter(
      (f) =>
        f.file !== "core/canonical.ts" &&
        /function (canonicalJson|sortedRecord|sortKeys|canonical)\b/.test(f.text),
    );
    expect(offenders.map((f) => f.file)).toEqual([]);
    expect(
      files
        .filter((f) => /localeCompare/.test(f.text) && f.file.startsWith("components/"))
        .map((f) => f.file),
    ).toEqual([]);
  });

  it("the proto is loaded in one module (runtime/proto.ts)", () => {
    const offenders = files.filter(
      (f) => f.file !== "runtime/proto.ts" && /\bloadSync\(|from "@grpc\/proto-loader"/.test(f.text),
    );
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it("the unused OpenTelemetry packages stay removed", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
    expect(deps).not.toContain("@opentelemetry/sdk-trace-node");
    expect(deps).not.toContain("@opentelemetry/semantic-conventions");
  });
});
