/**
 * The installed entry point, bin/slop.js, run as a real process (it loads the build in dist/, which
 * `npm test` makes first): a reader that closes the pipe early must not crash it.
 */
import { spawn } from "child_process";
import { join } from "path";

const BIN = join(__dirname, "..", "..", "bin", "slop.js");

interface Closed {
  readonly code: number | null;
  readonly stderr: string;
  readonly firstChunk: string;
}

/** Run `slop args`, read one chunk of stdout, then close the pipe like `| head -c N` does. */
function runAndCloseEarly(args: readonly string[]): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let firstChunk = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.once("data", (d: Buffer) => {
      firstChunk = d.toString("utf8");
      child.stdout.destroy();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr, firstChunk }));
  });
}

describe("bin/slop.js when the reader closes the pipe early", () => {
  it.each([
    [["render", "--seed", "42", "--services", "1000"], 0, "apiVersion: v1"],
    [["generate", "--seed", "42", "--services", "1000"], 0, '"apiVersion": "slop.dev/v1alpha1"'],
    [["diff", "42", "43", "--services", "1000"], 1, "Summary:"],
  ])("slop %j stops quietly with its own exit code (%i)", async (args, code, head) => {
    const r = await runAndCloseEarly(args);
    expect(r.firstChunk).toContain(head);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(code);
  });
});
