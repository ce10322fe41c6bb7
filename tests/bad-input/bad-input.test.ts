/**
 * The bad-input suite (issue 10): the real CLI over every malformed input in cases.json. For
 * each: exit code 2, exactly one line on stderr naming the problem (it contains every string of
 * the case's `names`: the flag, file or key path, and the value or what is wrong), no stack trace,
 * nothing on stdout, and no file written or deleted in the case's directory (also the working
 * directory, where a default results/ would go). Every case runs in-process through the CLI's
 * main() (what bin/slop.js calls); a sample also spawns bin/slop.js, in parallel, with TMPDIR in
 * the case's directory, so a temporary file left behind is seen too.
 */
import { execFileSync, spawn } from "child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import { main } from "../../cli/main";

interface Case {
  readonly args: readonly string[];
  /** What the error line must contain ($TMP: the case's directory). */
  readonly names: readonly string[];
  readonly files?: Readonly<Record<string, string>>;
  /** Named pipes to create in the case's directory (nobody writes to them: reading one blocks). */
  readonly fifos?: readonly string[];
  /** Symbolic links to create in the case's directory: name -> target (which may not exist). */
  readonly symlinks?: Readonly<Record<string, string>>;
  /** Environment variables for the command ($TMP: the case's directory). */
  readonly env?: Readonly<Record<string, string>>;
}

const ROOT = resolve(__dirname, "..", "..");
const CASES = JSON.parse(readFileSync(join(__dirname, "cases.json"), "utf8")) as Case[];
const COMMON = JSON.parse(readFileSync(join(__dirname, "files.json"), "utf8")) as Record<string, string>;

/** A fresh directory with the common files and the case's own. */
function setUp(c: Case): string {
  const dir = mkdtempSync(join(tmpdir(), "slop-bad-"));
  for (const [name, text] of Object.entries({ ...COMMON, ...c.files })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  for (const name of c.fifos ?? []) execFileSync("mkfifo", [join(dir, name)]);
  for (const [name, target] of Object.entries(c.symlinks ?? {})) symlinkSync(target, join(dir, name));
  return dir;
}

/** Every file and directory under `dir` with its content: what must not change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[`${p}/`] = "";
        walk(p);
      } else if (st.isFIFO()) out[p] = "(a FIFO)";
      else if (st.isSymbolicLink()) out[p] = `(a link to ${readlinkSync(p)})`;
      else out[p] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

const envOf = (c: Case, dir: string): Record<string, string> =>
  Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, v.replace("$TMP", dir)]));

const argsOf = (c: Case, dir: string): string[] =>
  c.args.map((a) => a.replace("$TMP", dir).replace(/^examples\//, `${ROOT}/examples/`));

function expectBadInput(code: number, stdout: string, stderr: string, c: Case, dir: string): void {
  const label = c.args.join(" ");
  const lines = stderr
    .split("\n")
    .filter((l) => l.trim() !== "" && !/^\((run with --help|Did you mean)/.test(l));
  expect({ label, code }).toEqual({ label, code: 2 });
  expect({ label, lines: lines.length }).toEqual({ label, lines: 1 });
  const line = lines[0] ?? "";
  expect({ label, line }).toEqual({ label, line: expect.stringMatching(/^(slop|error): \S/) });
  for (const name of c.names)
    expect({ label, line }).toEqual({ label, line: expect.stringContaining(name.replace("$TMP", dir)) });
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(stderr).not.toMatch(/internal error/);
  expect(stdout).toBe("");
}

describe("bad input", () => {
  it("has at least 100 cases, each naming what its error line must contain", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    expect(CASES.filter((c) => c.names.length === 0)).toEqual([]);
  });

  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it.each(CASES.map((c) => [c.args.join(" "), c] as const))("in-process: slop %s", async (_label, c) => {
    const dir = setUp(c);
    try {
      process.chdir(dir); // a default results/ directory would land here and be seen
      const before = snapshot(dir);
      let stdout = "";
      let stderr = "";
      const out = jest.spyOn(process.stdout, "write").mockImplementation((s) => {
        stdout += String(s);
        return true;
      });
      const err = jest.spyOn(process.stderr, "write").mockImplementation((s) => {
        stderr += String(s);
        return true;
      });
      const env = envOf(c, dir);
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      let code: number;
      try {
        code = await main(argsOf(c, dir));
      } finally {
        out.mockRestore();
        err.mockRestore();
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
      expectBadInput(code, stdout, stderr, c, dir);
      expect(snapshot(dir)).toEqual(before);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the real bin/slop.js agrees on a sample (spawned in parallel)", async () => {
    const sample = CASES.filter((_c, i) => i % 20 === 0);
    const one = async (c: Case): Promise<void> => {
      const dir = setUp(c);
      mkdirSync(join(dir, "tmp"));
      const before = snapshot(dir);
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        const p = spawn(process.execPath, [join(ROOT, "bin", "slop.js"), ...argsOf(c, dir)], {
          cwd: dir,
          timeout: 60_000,
          env: { ...process.env, ...envOf(c, dir), TMPDIR: join(dir, "tmp") },
        });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        p.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
      });
      expectBadInput(r.code, r.stdout, r.stderr, c, dir);
      expect(snapshot(dir)).toEqual(before);
      rmSync(dir, { recursive: true, force: true });
    };
    // Four at a time: the machine is shared.
    for (let i = 0; i < sample.length; i += 4) await Promise.all(sample.slice(i, i + 4).map(one));
  }, 180_000);
});
