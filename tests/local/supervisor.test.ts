import { backoffMs, Supervisor } from "../../local/supervisor";

describe("restart back-off", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16000],
    [6, 30000],
    [20, 30000],
  ])("restart %d waits %d ms (doubling, capped)", (n, ms) => {
    expect(backoffMs(n)).toBe(ms);
  });

  // Fake timers: the back-off is asserted to the millisecond, with no sleeps.
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("restarts a dead service after the back-off, counts restarts and injected crashes", () => {
    const starts: [string, number][] = [];
    const sup = new Supervisor((id, prior) => starts.push([id, prior]), { initialMs: 5, maxMs: 20 });
    sup.started("B");
    sup.died("B", "Error (exit code 1)", "died", true);
    sup.died("B", "again before the restart", "died", true); // ignored: a restart is pending
    jest.advanceTimersByTime(4);
    expect(starts).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(starts).toEqual([["B", 1]]);
    sup.started("B");
    sup.died("B", "start-up failure", "start-failed", false);
    // The second consecutive failure waits twice as long.
    jest.advanceTimersByTime(9);
    expect(starts).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(starts).toEqual([
      ["B", 1],
      ["B", 1],
    ]);
    expect(sup.restarts()).toEqual({ B: 2 });
    expect(sup.events().map((e) => e.event)).toEqual([
      "started",
      "died",
      "restarting",
      "started",
      "start-failed",
      "restarting",
    ]);
    sup.faultsChanged("B");
    sup.died("B", "x", "died", false);
    sup.stop();
    jest.advanceTimersByTime(1000);
    expect(starts).toHaveLength(2); // stopped: no more restarts
  });
});
