/**
 * The CLI loads only the module of the command it runs (cli/main.ts COMMANDS), so `slop render`
 * does not pay for the gRPC runtime and OpenTelemetry at start-up. The table must name exactly
 * the commands each module registers, or a command would be missing when it is run by name.
 */
import { spawnSync } from "child_process";
import { Command } from "commander";
import { join } from "path";
import { COMMANDS } from "../../cli/main";
import { run } from "./run";

const MAIN = join(__dirname, "..", "..", "dist", "cli", "main.js");

describe("lazily loaded commands", () => {
  it.each(COMMANDS.map((c) => [c.names.join(", "), c] as const))(
    "the module of %s registers exactly those commands",
    async (_names, c) => {
      const program = new Command("slop");
      (await c.load())(program, () => undefined);
      expect(program.commands.map((cmd) => cmd.name()).sort()).toEqual([...c.names].sort());
    },
  );

  it("top-level help still lists every command", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    for (const name of COMMANDS.flatMap((c) => c.names))
      expect(r.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("a command run by name loads neither the gRPC runtime nor OpenTelemetry (built CLI)", () => {
    const script =
      `const m = require(${JSON.stringify(MAIN)});` +
      `m.main(["render", "--services", "2"]).then((code) => {` +
      `  const heavy = Object.keys(require.cache).filter((f) => /@grpc|@opentelemetry|hdr-histogram/.test(f));` +
      `  process.stderr.write(JSON.stringify({ code, heavy: heavy.length }));` +
      `});`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(JSON.parse(r.stderr)).toEqual({ code: 0, heavy: 0 });
    expect(r.stdout).toContain("kind: Namespace");
  });
});
