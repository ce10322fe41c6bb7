import { startAlarm, type Alarm } from "../../loadgen/alarm";

describe("the send loop's alarm thread", () => {
  it("wakes the main thread no earlier than leadMs before each due time, once per time the main thread waits for", async () => {
    const times = Float64Array.from({ length: 20 }, (_, i) => 20 + 10 * i);
    const woken: number[] = [];
    let next = 0;
    let start = 0;
    await new Promise<void>((resolve) => {
      let alarm: Alarm;
      void startAlarm({
        times,
        leadMs: 0.5,
        wake: () => {
          const now = performance.now() - start;
          woken.push(now);
          // Like the send loop: everything due within the lead is "sent", then the alarm moves on.
          while (next < times.length && (times[next] as number) - 0.5 <= now) next++;
          alarm.advance(next);
          if (next === times.length) void alarm.stop().then(resolve);
        },
      }).then((a) => {
        alarm = a;
        start = performance.now();
        a.begin(process.hrtime.bigint());
      });
    });
    expect(woken.length).toBeLessThanOrEqual(times.length);
    // Each wake-up comes at or after (due - lead) of the first request it sent.
    let i = 0;
    for (const w of woken) {
      expect(w).toBeGreaterThanOrEqual((times[i] as number) - 0.5 - 0.01);
      while (i < times.length && (times[i] as number) - 0.5 <= w) i++;
    }
    expect(i).toBe(times.length);
  });

  it("stop() ends the thread even with sends left", async () => {
    const alarm = await startAlarm({ times: Float64Array.from([60_000]), leadMs: 0, wake: () => undefined });
    alarm.begin(process.hrtime.bigint());
    await alarm.stop();
    await alarm.stop();
  });
});
