import { spawn } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { createServer, type AddressInfo } from "net";
import { join } from "path";
import { createClient } from "../../runtime/client";
import { cfgOf } from "./helpers";

const CLI = join(__dirname, "fixtures", "slop-cli.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn `slop` with args; `onLine` sees stdout lines and may return a signal to send. */
function slop(
  args: string[],
  env: Record<string, string>,
  onLine: (line: string) => Promise<NodeJS.Signals | null>,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Run = { code: null, stdout: "", stderr: "" };
    let partial = "";
    child.stdout.on("data", (b: Buffer) => {
      out.stdout += b.toString();
      const lines = (partial + b.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) onLine(l).then((sig) => sig && child.kill(sig), reject);
    });
    child.stderr.on("data", (b: Buffer) => (out.stderr += b.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ ...out, code }));
  });
}

describe("slop serve", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "slop-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves from --config, then drains and exits 0 on SIGTERM", async () => {
    const file = join(dir, "service.json");
    writeFileSync(file, JSON.stringify(cfgOf("A", ["noop"])));
    const answers: string[] = [];
    const run = await slop(
      ["serve", "--config", file, "--host", "127.0.0.1", "--grpc-port", "0", "--metrics-port", "0"],
      { SLOP_FAULT_LATENCY_MS: "1" },
      async (line) => {
        const ev = JSON.parse(line) as { msg: string; address?: string };
        if (ev.msg !== "serving" || !ev.address) return null;
        const c = createClient(ev.address);
        try {
          answers.push((await c.handle({ requestId: "cli" }, 3000)).serviceId);
        } finally {
          c.close();
        }
        return "SIGTERM";
      },
    );
    expect(run.stderr).toBe("");
    expect(answers).toEqual(["A"]);
    expect(
      run.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { msg: string }).msg),
    ).toEqual(["serving", "draining", "stopped"]);
    expect(run.code).toBe(0);
  });

  it("exits 2 naming the service, path and position when a path does not parse", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify(cfgOf("Q", ["noop", "{cpu"])));
    const run = await slop(["serve", "--config", file, "--host", "127.0.0.1"], {}, async () => "SIGKILL");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('service Q: paths[1] "{cpu" does not parse at position 4');
  });

  it("exits 1 when faults.failStartup is set (saying only that it cannot initialise), and 2 without a config", async () => {
    const file = join(dir, "ok.json");
    writeFileSync(file, JSON.stringify(cfgOf("A", ["noop"])));
    const failed = await slop(
      ["serve", "--config", file],
      { SLOP_FAULT_FAIL_STARTUP: "1" },
      async () => "SIGKILL",
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("slop serve: service A: initialisation failed, exiting");
    expect(failed.stderr).not.toMatch(/inject|fault/i);
    const noConfig = await slop(["serve"], { SLOP_CONFIG: "" }, async () => "SIGKILL");
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain("--config <file> (or env SLOP_CONFIG) is required");
  });

  it("exits 2 with one line naming --grpc-port when the port is in use (no stack trace)", async () => {
    const file = join(dir, "busy.json");
    writeFileSync(file, JSON.stringify(cfgOf("A", ["noop"])));
    const busy = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, "127.0.0.1", () => resolve((busy.address() as AddressInfo).port)),
    );
    try {
      const run = await slop(
        [
          "serve",
          "--config",
          file,
          "--host",
          "127.0.0.1",
          "--grpc-port",
          String(port),
          "--metrics-port",
          "0",
        ],
        {},
        async () => null, // it must exit by itself
      );
      expect(run.code).toBe(2);
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("--grpc-port");
      expect(lines[0]).toContain(String(port));
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  });

  it.each([
    ["SLOP_MEM_MODE", "fresh", 'SLOP_MEM_MODE must be reuse or churn (got "fresh")'],
    ["SLOP_TRACE_OPS", "yes", 'SLOP_TRACE_OPS must be 1, true, 0 or false (got "yes")'],
    [
      "SLOP_CPU_ITERATIONS_PER_MS",
      "0",
      'SLOP_CPU_ITERATIONS_PER_MS must be a number in 1..1000000000 (got "0")',
    ],
  ])("exits 2 naming %s when it is %p", async (name, value, message) => {
    const file = join(dir, "env.json");
    writeFileSync(file, JSON.stringify(cfgOf("A", ["noop"])));
    const run = await slop(
      ["serve", "--config", file, "--host", "127.0.0.1", "--grpc-port", "0", "--metrics-port", "0"],
      { [name]: value },
      async () => "SIGKILL", // serving would be a failure: stop it
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
