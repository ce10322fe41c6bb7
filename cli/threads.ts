/**
 * Worker threads for the CLI's large jobs (issue 13): `slop render` prints a large system in
 * parts (cli/render-parts.ts) and `slop diff` generates its two systems side by side. Each worker
 * is a module of cli/ that posts its results, then `null` when it is done.
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";

/** Systems smaller than this stay on one thread: a worker's start-up would cost more than it saves. */
export const PARALLEL_MIN_SERVICES = 2_000;

/** Threads for a job on a system of `services` services: `SLOP_THREADS` if set, else the cores (at most 2). */
export function threadCount(services: number): number {
  const env = process.env.SLOP_THREADS;
  if (env !== undefined && /^[1-9][0-9]?$/.test(env)) return Number(env);
  if (services < PARALLEL_MIN_SERVICES) return 1;
  return Math.min(2, os.availableParallelism());
}

export interface WorkerRun<M> {
  /** Every message the worker posted before its `null`, in order. */
  readonly done: Promise<M[]>;
  /** Stops the worker (when its result is no longer wanted). */
  readonly stop: () => void;
}

/** Starts cli/`name` as a worker thread with `data` as its workerData. */
export function startWorker<M>(name: "render-worker" | "generate-worker", data: unknown): WorkerRun<M> {
  // Built code runs the .js worker; the sources (tests, bench) run the .ts one through tsx.
  const file = path.join(__dirname, `${name}${path.extname(__filename)}`);
  const worker = file.endsWith(".ts")
    ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(file)});`, { eval: true, workerData: data })
    : new Worker(file, { workerData: data });
  const messages: M[] = [];
  const done = new Promise<M[]>((resolve, reject) => {
    let finished = false;
    worker.on("message", (m: M | null) => {
      if (m === null) {
        finished = true;
        resolve(messages);
      } else messages.push(m);
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      if (!finished) reject(new Error(`${name} exited with code ${code} before it was done`));
    });
  });
  // The main thread may fail before it waits for the worker: its result is then not wanted.
  done.catch(() => undefined);
  return { done, stop: () => void worker.terminate() };
}
