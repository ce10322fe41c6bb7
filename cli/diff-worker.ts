/**
 * A `slop diff` worker thread (see cli/commands/diff.ts): generates B and posts it, receives A
 * from the main thread, and posts the object diff of the services at indexes `from` to `to - 1`,
 * its changed objects already formatted.
 */
import { parentPort, workerData } from "worker_threads";
import { diffObjectGroups } from "../core/diff";
import { objectBlock } from "../core/diff-format";
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
  const part = diffObjectGroups(
    diffGroups(a, undefined, job.from, job.to),
    diffGroups(b, undefined, job.from, job.to),
    objectKey,
  );
  send({
    objects: {
      added: part.added,
      removed: part.removed,
      keys: part.changed.map((o) => o.key),
      blocks: part.changed.map((o) => objectBlock(o, job.format)),
    },
  });
  send(null);
});
