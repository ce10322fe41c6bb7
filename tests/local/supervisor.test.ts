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

  it("restarts a dead service after the back-off, counts restarts and injected crashes", async () => {
    const starts: [string, number][] = [];
    const sup = new Supervisor((id, prior) => starts.push([id, prior]), { initialMs: 5, maxMs: 20 });
    sup.started("B");
    sup.died("B", "crash injected (faults.crash)", "died", true);
    sup.died("B", "again before the restart", "died", true); // ignored: a restart is pending
    await new Promise((r) => setTimeout(r, 30));
    expect(starts).toEqual([["B", 1]]);
    sup.started("B");
    sup.died("B", "start-up failure", "start-failed", false);
    await new Promise((r) => setTimeout(r, 40));
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
    await new Promise((r) => setTimeout(r, 30));
    expect(starts).toHaveLength(2); // stopped: no more restarts
  });
});
