/**
 * A `slop diff` worker thread (see cli/commands/diff.ts): generates B and posts it, receives A
 * from the main thread, and posts the object diff of the services at indexes `from` to `to - 1`.
 */
import { parentPort, workerData } from "worker_threads";
import { diffObjectGroups } from "../core/diff";
import { diffGroups, objectKey } from "../core/expand";
import { generate } from "../core/spec";
import type { SystemSpec } from "../core/types";
import type { DiffJob, DiffMessage } from "./commands/diff";

const job = workerData as DiffJob;
const port = parentPort;
if (port === null) throw new Error("cli/diff-worker runs as a worker thread (see cli/commands/diff.ts)");
const send = (m: DiffMessage | null): void => port.postMessage(m);
const b = generate(job.b);
send({ spec: b });
port.once("message", (a: SystemSpec) => {
  send({
    objects: diffObjectGroups(
      diffGroups(a, undefined, job.from, job.to),
      diffGroups(b, undefined, job.from, job.to),
      objectKey,
    ),
  });
  send(null);
});
