/** A `slop render` worker thread: prints one part of the system (see cli/render-parts.ts). */
import { parentPort, workerData } from "worker_threads";
import { expandPart } from "../core/expand";
import { generate } from "../core/spec";
import { byteSink } from "./output";
import { partRange, writeDocuments } from "./render-parts";
import type { RenderJob, RenderMessage } from "./render-parts";

const job = workerData as RenderJob;
const port = parentPort;
if (port === null) throw new Error("cli/render-worker runs as a worker thread (see cli/render-parts.ts)");
const spec = generate(job.config);
const [from, to] = partRange(spec.services.length, job.part, job.parts);
// Each buffer of a byteSink is the only view of its memory, which is handed over, not copied.
const out = byteSink((bytes: RenderMessage & Uint8Array) =>
  port.postMessage(bytes, [bytes.buffer as ArrayBuffer]),
);
writeDocuments(expandPart(spec, job.expandOptions, from, to), from === 0, out);
port.postMessage(null satisfies RenderMessage);
