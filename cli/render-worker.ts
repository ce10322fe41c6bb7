/** A `slop render` worker thread: prints one part of the system (see cli/render-parts.ts). */
import { parentPort, workerData } from "worker_threads";
import { expandPart } from "../core/expand";
import { generate } from "../core/spec";
import { partRange, writeDocuments } from "./render-parts";
import type { RenderJob, RenderMessage } from "./render-parts";

const job = workerData as RenderJob;
const port = parentPort;
if (port === null) throw new Error("cli/render-worker runs as a worker thread (see cli/render-parts.ts)");
const spec = generate(job.config);
const [from, to] = partRange(spec.services.length, job.part, job.parts);
writeDocuments(expandPart(spec, job.expandOptions, from, to), from === 0, (chunk) => {
  const bytes: RenderMessage = Buffer.from(chunk, "utf8");
  // A small Buffer may share a pooled ArrayBuffer: copy it out rather than hand the pool over.
  const own = bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
  port.postMessage(own, [own.buffer as ArrayBuffer]);
});
port.postMessage(null satisfies RenderMessage);
