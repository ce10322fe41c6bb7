/**
 * The send loop's alarm clock: a worker thread that sleeps until shortly before each intended
 * send time and then wakes the main thread. Node's timers fire on whole milliseconds, late by up
 * to about one; spinning on setImmediate for the last milliseconds (as the generator once did)
 * costs a core at high rates and steals it from the system under test. The thread instead sleeps
 * in the kernel (Atomics.wait, a futex with a sub-millisecond timeout) and posts one message per
 * wake-up, so the main thread waits in its event loop, where responses are read and timestamped
 * as they arrive, and spins only for the last `leadMs` before a send.
 *
 * Shared state (Int32Array over a SharedArrayBuffer):
 *   [NEXT]    index of the next request the main thread has not sent (written by main)
 *   [PENDING] 1 while a wake-up is posted and not yet handled (set by the thread, cleared by main)
 *   [STOP]    1 when the main thread is done (the thread exits)
 *   [SEQ]     bumped by main after each turn of its send loop (the thread waits on it)
 *
 * The thread always aims at NEXT, the first request main has not sent: it sleeps until that one is
 * due (less the lead), posts one wake-up, and then waits until main has taken its turn (SEQ moves)
 * before it looks again. It never moves past a request main has not sent, so a wake-up that main
 * handles late (a GC pause, a burst of responses) delays only the requests due meanwhile, which
 * that one late turn sends, and not the next one too.
 */
import { Worker } from "worker_threads";

const NEXT = 0;
const PENDING = 1;
const STOP = 2;
const SEQ = 3;
const SLOTS = 4;

/** The thread's code, plain JavaScript (it runs without the TypeScript loader, under jest too). */
const THREAD = `
const { workerData, parentPort } = require("worker_threads");
const { times, leadMs, shared } = workerData;
const state = new Int32Array(shared);
parentPort.once("message", (origin) => run(origin));
parentPort.postMessage("ready");
function run(origin) {
const nowMs = () => Number(process.hrtime.bigint() - origin) / 1e6;
while (Atomics.load(state, ${STOP}) === 0) {
  const next = Atomics.load(state, ${NEXT});
  if (next >= times.length) break;
  const seq = Atomics.load(state, ${SEQ});
  const wait = times[next] - leadMs - nowMs();
  if (wait > 0) {
    // Woken early when main takes a turn (or stops): look again.
    Atomics.wait(state, ${SEQ}, seq, wait);
    continue;
  }
  if (Atomics.compareExchange(state, ${PENDING}, 0, 1) === 0) parentPort.postMessage(next);
  // Until main has handled it (a safety timeout, should a turn end without a bump).
  Atomics.wait(state, ${SEQ}, seq, 50);
}
}
`;

export interface Alarm {
  /** Start waking: offset 0 of the times is process.hrtime.bigint() `origin`. */
  begin(origin: bigint): void;
  /** The main thread sent every request before `index`: the thread sleeps towards the next one. */
  advance(index: number): void;
  /** Stop the thread (idempotent). */
  stop(): Promise<void>;
}

export interface AlarmOptions {
  /** Intended send offsets (ms from the origin given to `begin`), ascending. */
  readonly times: Float64Array;
  /** Wake this long before a send time; the main thread spins for the rest. */
  readonly leadMs: number;
  /** Called on the main thread at each wake-up. */
  readonly wake: () => void;
}

/**
 * Start the thread; resolves once it is running (a thread's start costs tens of milliseconds of
 * CPU, which stays outside the measured load), then `begin` starts the wake-ups.
 */
export async function startAlarm(opts: AlarmOptions): Promise<Alarm> {
  const shared = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const state = new Int32Array(shared);
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { times: opts.times, leadMs: opts.leadMs, shared },
  });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  worker.on("message", () => {
    Atomics.store(state, PENDING, 0);
    opts.wake();
  });
  let stopped: Promise<void> | null = null;
  return {
    begin(origin) {
      worker.postMessage(origin);
    },
    advance(index) {
      Atomics.store(state, NEXT, index);
      Atomics.add(state, SEQ, 1);
      Atomics.notify(state, SEQ);
    },
    stop: () =>
      (stopped ??= (async () => {
        Atomics.store(state, STOP, 1);
        Atomics.add(state, SEQ, 1);
        Atomics.notify(state, SEQ);
        await worker.terminate();
      })()),
  };
}
