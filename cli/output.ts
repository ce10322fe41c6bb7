/**
 * Large outputs to stdout. Text is encoded to UTF-8 piece by piece into 1 MiB buffers, each
 * written when full: joining the pieces into 1 MiB strings first made V8 flatten every such
 * string before encoding it (a diff of two 10,000-service seeds writes 47 MB of text, and
 * encoding its joined strings took about a third of writing it).
 */
import type { TextSink } from "../core/text-sink";

/** Bytes per buffer handed to `write`. */
export const BUFFER_BYTES = 2 ** 20;

/** A Buffer over an ArrayBuffer of its own (never Node's shared pool), so it can be transferred. */
const ownBuffer = (bytes: number): Buffer => Buffer.from(new ArrayBuffer(bytes));

/**
 * A TextSink that hands `write` UTF-8 buffers of at most `size` bytes (a piece larger than that
 * alone in its own buffer), in order, never empty. Each buffer is new and the only view of its
 * ArrayBuffer: `write` may keep it or transfer its memory to another thread.
 */
export function byteSink(write: (bytes: Uint8Array) => void, size = BUFFER_BYTES): TextSink {
  let buf = ownBuffer(size);
  let used = 0;
  const flush = (): void => {
    if (used === 0) return;
    write(buf.subarray(0, used));
    buf = ownBuffer(size);
    used = 0;
  };
  return {
    add(s: string): void {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      if (used + s.length * 3 > size) {
        flush();
        if (s.length * 3 > size) {
          const big = ownBuffer(Buffer.byteLength(s, "utf8"));
          big.write(s, 0, "utf8");
          if (big.length > 0) write(big);
          return;
        }
      }
      used += buf.write(s, used, "utf8");
    },
    flush,
  };
}

/** `byteSink` to this process's stdout. */
export function stdoutSink(): TextSink {
  return byteSink((bytes) => process.stdout.write(bytes));
}
