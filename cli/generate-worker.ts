/** A worker thread that generates the system of a config and posts it (see cli/threads.ts). */
import { parentPort, workerData } from "worker_threads";
import { generate } from "../core/spec";
import type { SlopConfig } from "../core/types";

const port = parentPort;
if (port === null) throw new Error("cli/generate-worker runs as a worker thread (see cli/threads.ts)");
port.postMessage(generate(workerData as SlopConfig));
port.postMessage(null);
