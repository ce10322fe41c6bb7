/** Where streamed text goes (a diff, a render): small strings in order, then one `flush`. */
export interface TextSink {
  add(s: string): void;
  flush(): void;
}

/** A TextSink that passes the strings on to `write` joined in pieces of about `chars` characters. */
export function chunkedSink(write: (chunk: string) => void, chars: number): TextSink {
  let buf = "";
  return {
    add: (s) => {
      buf += s;
      if (buf.length >= chars) {
        write(buf);
        buf = "";
      }
    },
    flush: () => {
      if (buf.length > 0) write(buf);
      buf = "";
    },
  };
}
