/**
 * Worker threads for the CLI's large jobs (issue 13): `slop render` prints a large system in
 * parts (cli/render-parts.ts) and `slop diff` compares a large system in two parts. Each worker
 * is a module of cli/ that posts its results, then `null` when it is done.
 */
import * as path from "path";
import { Worker } from "worker_threads";

/**
 * Threads for a large render or diff: one, unless `SLOP_THREADS` asks for more
 * (any size: the tests run small systems on two and three threads). On the 2-core reference machine, idle,
 * two threads took 1.14-1.7x the CPU of one and no less wall time (render 10,000: median 3.0 s
 * against 2.8 s; diff 1 2 at 10,000: 6.6 s against 5.5 s; 2026-11-30, docs/scale.md): the worker
 * generates the system again, and V8's own threads compete for the same two cores. More cores may
 * change that, so it stays available.
 */
export function threadCount(): number {
  const env = process.env.SLOP_THREADS;
  return env !== undefined && /^[1-9][0-9]?$/.test(env) ? Number(env) : 1;
}

export interface WorkerRun<M> {
  /** Every message the worker posted before its `null`, in order. */
  readonly done: Promise<M[]>;
  /** The worker's `i`-th message (from 0), as soon as it has arrived. */
  readonly message: (i: number) => Promise<M>;
  /** Posts `m` to the worker (a structured clone). */
  readonly post: (m: unknown) => void;
  /** Stops the worker (when its result is no longer wanted). */
  readonly stop: () => void;
}

type WorkerName = "render-worker" | "diff-worker";

/** Starts cli/`name` as a worker thread with `data` as its workerData. */
export function startWorker<M>(name: WorkerName, data: unknown): WorkerRun<M> {
  // Built code runs the .js worker; the sources (tests, bench) run the .ts one through tsx.
  const file = path.join(__dirname, `${name}${path.extname(__filename)}`);
  const worker = file.endsWith(".ts")
    ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(file)});`, { eval: true, workerData: data })
    : new Worker(file, { workerData: data });
  const messages: M[] = [];
  const waiting = new Map<number, (m: M) => void>();
  let failed: ((err: Error) => void)[] = [];
  const done = new Promise<M[]>((resolve, reject) => {
    let finished = false;
    const fail = (err: Error): void => {
      reject(err);
      failed.forEach((f) => f(err));
      failed = [];
    };
    worker.on("message", (m: M | null) => {
      if (m === null) {
        finished = true;
        resolve(messages);
        return;
      }
      messages.push(m);
      waiting.get(messages.length - 1)?.(m);
    });
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!finished) fail(new Error(`${name} exited with code ${code} before it was done`));
    });
  });
  // The main thread may fail before it waits for the worker: its result is then not wanted.
  done.catch(() => undefined);
  const message = (i: number): Promise<M> => {
    if (i < messages.length) return Promise.resolve(messages[i] as M);
    return new Promise<M>((resolve, reject) => {
      waiting.set(i, resolve);
      failed.push(reject);
      done.then(() => reject(new Error(`${name} posted no message ${i}`)), reject);
    });
  };
  return { done, message, post: (m) => worker.postMessage(m), stop: () => void worker.terminate() };
}
