/**
 * A results directory as text that survives a container log: `slop load --print-results` prints it
 * after the run, and an experiment's cluster backend reads it back from the load Job's log (the pod's
 * filesystem is gone by then, and a log is what every cluster keeps and the API serves).
 *
 *   -----BEGIN SLOP RESULTS v1 sha256=<hex of the gzip bytes> bytes=<their length>-----
 *   base64 of gzip(JSON {"files": {"<relative path>": "<base64 content>"}}), 76 characters a line
 *   -----END SLOP RESULTS-----
 *
 * Decoding refuses a frame that is missing, cut short or altered (length or checksum), and a path
 * that would leave the directory, each with a FrameError saying which.
 */
import { createHash } from "crypto";
import { readdirSync, readFileSync, statSync } from "fs";
import { join, normalize, sep } from "path";
import { gunzipSync, gzipSync } from "zlib";

const BEGIN = /^-----BEGIN SLOP RESULTS v1 sha256=([0-9a-f]{64}) bytes=(\d+)-----$/;
const END = "-----END SLOP RESULTS-----";
const LINE = 76;
/** Most bytes of files a frame carries (histograms and summaries are a few KiB per run). */
export const MAX_FRAME_BYTES = 16 * 2 ** 20;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/** Every regular file under `dir`, as paths relative to it with "/" separators, sorted. */
export function filesUnder(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = rel === "" ? name : `${rel}/${name}`;
    const st = statSync(join(dir, p));
    if (st.isDirectory()) out.push(...filesUnder(dir, p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** The frame of the given files of `dir`. */
export function encodeFrame(dir: string, files: readonly string[] = filesUnder(dir)): string {
  const content: Record<string, string> = {};
  let total = 0;
  for (const f of files) {
    const b = readFileSync(join(dir, f));
    total += b.length;
    if (total > MAX_FRAME_BYTES)
      throw new FrameError(`results larger than ${MAX_FRAME_BYTES} bytes: ${f} and more`);
    content[f] = b.toString("base64");
  }
  const gz = gzipSync(Buffer.from(JSON.stringify({ files: content })));
  const hash = createHash("sha256").update(gz).digest("hex");
  const b64 = gz.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += LINE) lines.push(b64.slice(i, i + LINE));
  return `-----BEGIN SLOP RESULTS v1 sha256=${hash} bytes=${gz.length}-----\n${lines.join("\n")}\n${END}\n`;
}

/** A relative path that stays inside its directory. */
function safePath(p: string): boolean {
  const n = normalize(p);
  return p !== "" && !p.startsWith("/") && !n.startsWith(`..${sep}`) && n !== ".." && !p.includes("\0");
}

/** The files of the last complete frame in `text` (e.g. a container log with other lines around it). */
export function decodeFrame(text: string): Record<string, Buffer> {
  const lines = text.split(/\r?\n/);
  let begin = -1;
  for (let i = lines.length - 1; i >= 0 && begin < 0; i--) if (BEGIN.test(lines[i] as string)) begin = i;
  if (begin < 0)
    throw new FrameError("no results frame in the text (the load did not finish, or printed none)");
  const m = BEGIN.exec(lines[begin] as string) as RegExpExecArray;
  const end = lines.indexOf(END, begin + 1);
  if (end < 0) throw new FrameError("the results frame is cut short (no END line)");
  // Lines of other output (a stray log line) between the markers are not base64: skip them.
  const b64 = lines
    .slice(begin + 1, end)
    .filter((l) => /^[A-Za-z0-9+/]+=*$/.test(l))
    .join("");
  const gz = Buffer.from(b64, "base64");
  if (gz.length !== Number(m[2]))
    throw new FrameError(`the results frame holds ${gz.length} bytes, its header says ${m[2]}`);
  if (createHash("sha256").update(gz).digest("hex") !== m[1])
    throw new FrameError("the results frame fails its sha256 check");
  let doc: unknown;
  try {
    doc = JSON.parse(gunzipSync(gz, { maxOutputLength: 4 * MAX_FRAME_BYTES }).toString("utf8"));
  } catch (err) {
    throw new FrameError(`the results frame does not decode: ${(err as Error).message}`);
  }
  const files = (doc as { files?: unknown }).files;
  if (typeof files !== "object" || files === null) throw new FrameError("the results frame holds no files");
  const out: Record<string, Buffer> = {};
  for (const [p, v] of Object.entries(files as Record<string, unknown>)) {
    if (!safePath(p))
      throw new FrameError(`the results frame names a path outside its directory: ${JSON.stringify(p)}`);
    if (typeof v !== "string") throw new FrameError(`the results frame's ${p} is not base64 text`);
    out[p] = Buffer.from(v, "base64");
  }
  return out;
}
