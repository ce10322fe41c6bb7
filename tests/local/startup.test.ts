import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseConfig } from "../../core/config";
import { InterruptedError } from "../../core/errors";
import { generate } from "../../core/spec";
import { LocalStartError, startLocalSystem } from "../../local/system";
import { children, eventually } from "./helpers";

// `--workers 2.5` used to leave some services without a worker (index i % 2.5), and the start-up
// then waited forever. The CLI now refuses a non-integer; these tests keep that broken assignment to
// stand for any start that never answers, and check that the start-up has a deadline and an abort.
describe("local start-up that never completes", () => {
  const spec = generate(parseConfig({}, { seed: "42", services: 4 }));
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), "slop-startup-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const settle = (p: Promise<unknown>): Promise<unknown> =>
    p.then(
      () => null,
      (e: unknown) => e,
    );

  it("fails at its deadline naming the services that did not start, and stops every worker", async () => {
    const before = children(process.pid);
    const dir = tmp();
    const err = await settle(startLocalSystem(spec, { dir, workers: 2.5, startTimeoutMs: 2000 }));
    expect(err).toBeInstanceOf(LocalStartError);
    expect((err as Error).message).toMatch(
      new RegExp(`^services? [A-Z, ]+ did not start within 2 s \\(see the logs in ${join(dir, "logs")}\\)$`),
    );
    expect(
      await eventually(() => children(process.pid).filter((p) => !before.includes(p)).length === 0, 5000),
    ).toBe(true);
  });

  it("an abort (Ctrl-C) ends it at once with InterruptedError, every worker stopped", async () => {
    const before = children(process.pid);
    const abort = new AbortController();
    const starting = settle(
      startLocalSystem(spec, { dir: tmp(), workers: 2.5, startTimeoutMs: 600_000, signal: abort.signal }),
    );
    // Abort once the workers exist (the start-up is then waiting for services that never start).
    expect(await eventually(() => children(process.pid).length > before.length, 10000)).toBe(true);
    abort.abort("SIGINT");
    const err = await starting;
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as Error).message).toBe("interrupted by SIGINT; every started process was stopped");
    expect(
      await eventually(() => children(process.pid).filter((p) => !before.includes(p)).length === 0, 5000),
    ).toBe(true);
  });
});
