/**
 * One mapping of errors to exit codes (cli/errors.ts exitCodeOf): bad input 2, an interrupt 130,
 * and anything else, a bug, 70: a crash must never exit with 2, which means bad input.
 */
import { ConfigError, InterruptedError, InvalidRunError, UserError } from "../../core/errors";
import { EXIT_CRASH, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, exitCodeOf } from "../../cli/errors";

const mockCrash = { on: false };
jest.mock("../../core/spec", () => {
  const actual = jest.requireActual<typeof import("../../core/spec")>("../../core/spec");
  return {
    ...actual,
    generate: (config: Parameters<typeof actual.generate>[0]) => {
      if (mockCrash.on) throw new TypeError("Cannot read properties of undefined (reading 'calls')");
      return actual.generate(config);
    },
  };
});

describe("exit codes", () => {
  it.each([
    ["UserError", EXIT_USAGE, new UserError("x")],
    ["ConfigError", EXIT_USAGE, new ConfigError("services", 0, "an integer")],
    ["UsageError", EXIT_USAGE, new UsageError("x")],
    ["InterruptedError", EXIT_INTERRUPTED, new InterruptedError("SIGINT", "stopped")],
    ["TypeError", EXIT_CRASH, new TypeError("x is undefined")],
    ["RangeError", EXIT_CRASH, new RangeError("Maximum call stack size exceeded")],
    ["Error", EXIT_CRASH, new Error("boom")],
    [
      "InvalidRunError (a run whose figures cannot be trusted)",
      EXIT_CRASH,
      new InvalidRunError("a worker died"),
    ],
    ["a thrown string", EXIT_CRASH, "boom"],
  ])("%s -> %i", (_name, code, err) => {
    expect(exitCodeOf(err)).toBe(code);
  });

  it("a bug inside a command exits 70 and says it is an internal error, not bad input", async () => {
    const { main } = await import("../../cli/main");
    let stderr = "";
    const err = jest.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    mockCrash.on = true;
    try {
      expect(await main(["generate", "--services", "3"])).toBe(EXIT_CRASH);
    } finally {
      mockCrash.on = false;
      err.mockRestore();
      out.mockRestore();
    }
    expect(stderr).toMatch(/^slop: internal error \(please report it\): TypeError: Cannot read properties/);
  });
});
