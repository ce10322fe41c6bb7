/**
 * `slop render` to stdout on more than one thread. A system's YAML is its parts' YAML one after
 * the other (`expandPart`): the main thread prints the Namespace and the first services, and each
 * worker (cli/render-worker.ts) generates the same system from the same config (generate is pure)
 * and prints the services of its part, which the main thread writes after its own, in order. The
 * output is byte-identical to one thread's (tests/cli/threads.test.ts).
 */
import { expandPart } from "../core/expand";
import type { ExpandOptions, KubeObject } from "../core/expand";
import { generate } from "../core/spec";
import type { SlopConfig } from "../core/types";
import { toYamlDocument } from "../core/yaml";
import type { TextSink } from "../core/text-sink";
import { byteSink } from "./output";
import { startWorker } from "./threads";

/**
 * The share of a part the main thread hands on to the workers: with two threads it prints 40%
 * of the services. Its generate, start-up and writing of every part outweigh a worker's start
 * (per-thread CPU, 10,000 services: main 2.1-2.2 s and worker 1.8-2.0 s with 0.1; with 0 and
 * -0.1 the main thread was the busier one).
 */
const SHIFT = 0.1;

/** What a worker renders: the system of `config`, services of part `part` of `parts`. */
export interface RenderJob {
  readonly config: SlopConfig;
  readonly expandOptions: ExpandOptions;
  readonly part: number;
  readonly parts: number;
}

/**
 * Message from a worker: a piece of YAML as UTF-8 (its memory is handed over, not copied), or
 * `null` when its part is done.
 */
export type RenderMessage = Uint8Array | null;

/**
 * The service indexes of part `part` of `parts` of `n` services: contiguous, in order, together
 * all of 0..n-1. The main thread's part 0 is a little smaller: it also writes every part.
 */
export function partRange(n: number, part: number, parts: number): [number, number] {
  // Only part 0 starts at index 0 (it has the Namespace), even when there are fewer services than parts.
  const at = (k: number): number =>
    k <= 0 ? 0 : k >= parts ? n : Math.max(1, Math.min(n, Math.round((n * (k - SHIFT)) / parts)));
  return [at(part), at(part + 1)];
}

/**
 * Multi-document YAML of `objects` to `out`, a document at a time, then flushed; `first` when
 * these are the first documents of the output (no `---` before the first).
 */
export function writeDocuments(objects: Iterable<KubeObject>, first: boolean, out: TextSink): void {
  let start = first;
  for (const o of objects) {
    if (!start) out.add("---\n");
    out.add(toYamlDocument(o));
    start = false;
  }
  out.flush();
}

/**
 * The YAML of the system of `config` to `write`, as `writeDocuments(expandEach(generate(config)))`
 * would write it, on `threads` threads (this one and threads - 1 workers).
 */
export async function renderConfig(
  config: SlopConfig,
  expandOptions: ExpandOptions,
  threads: number,
  write: (bytes: Uint8Array) => void,
): Promise<void> {
  const parts = Math.max(1, threads);
  const workers = Array.from({ length: parts - 1 }, (_, i) =>
    startWorker<Uint8Array>("render-worker", {
      config,
      expandOptions,
      part: i + 1,
      parts,
    } satisfies RenderJob),
  );
  try {
    const spec = generate(config);
    const [from, to] = partRange(spec.services.length, 0, parts);
    writeDocuments(expandPart(spec, expandOptions, from, to), true, byteSink(write));
    for (const w of workers) for (const chunk of await w.done) write(chunk);
  } finally {
    workers.forEach((w) => w.stop());
  }
}
