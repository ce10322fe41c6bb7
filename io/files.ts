/**
 * The one door for files a user hands to k8s-slop, in and out (core/ stays pure: this is where
 * the file system is touched).
 *
 * Input: configs, specs, sweeps, incidents, answers, service.json. A file's type is checked
 * before it is opened, so a FIFO, socket or device never blocks or floods a command: only a
 * regular file is read, and no more than a size cap (checked before opening, and again while
 * reading, since /proc files report size 0).
 *
 * Output: results and render directories are created one level at a time, so a path under a
 * kernel tree such as /proc fails at once with a message naming the flag (Node 20's recursive
 * mkdir loops forever there).
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from "fs";
import { dirname, isAbsolute } from "path";
import { parseDocument } from "../core/document";
import { UserError } from "../core/errors";

const MiB = 2 ** 20;
/** A config, sweep, incident or service.json: far below this. */
export const MAX_CONFIG_BYTES = 8 * MiB;
/** A SystemSpec of 100,000 services is about 100 MiB of JSON. */
export const MAX_SPEC_BYTES = 512 * MiB;

/** What a non-regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return "it is a directory";
  if (st.isFIFO()) return "not a regular file (a FIFO)";
  if (st.isSocket()) return "not a regular file (a socket)";
  if (st.isCharacterDevice()) return "not a regular file (a character device)";
  if (st.isBlockDevice()) return "not a regular file (a block device)";
  return "not a regular file";
}

const tooLarge = (file: string, maxBytes: number): UserError =>
  new UserError(`${file} is larger than ${maxBytes / MiB} MiB, the limit for this kind of file`);

/**
 * The text of `file`: a regular file (checked before opening, so a FIFO cannot block) of at most
 * `maxBytes` (so /dev/zero or a huge file cannot fill memory). Every failure is a UserError
 * naming the file.
 */
export function readText(file: string, maxBytes: number = MAX_CONFIG_BYTES): string {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${why(err)}`);
  }
  if (!st.isFile()) throw new UserError(`cannot read ${file}: ${kindOf(st)}`);
  if (st.size > maxBytes) throw tooLarge(file, maxBytes);
  let fd: number;
  try {
    // O_NONBLOCK: should the file be swapped for a FIFO after the check, opening still returns.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${why(err)}`);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new UserError(`cannot read ${file}: ${kindOf(opened)}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(MiB, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooLarge(file, maxBytes);
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${file}: ${why(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** Read and parse a YAML or JSON document (see readText and core/document.ts). */
export function readDocument(file: string, maxBytes: number = MAX_CONFIG_BYTES): unknown {
  return parseDocument(readText(file, maxBytes), file);
}

/** Kernel trees no results, render or data directory belongs in. */
const KERNEL_TREES = ["/proc", "/sys"];

/**
 * The absolute path of the output directory `dir` given by `flag`, resolved as the OS would: the
 * existing part physically (a symbolic link is followed before a following "..", so `link/../out`
 * is next to the link's target, not next to the link), the rest (still to be made) textually.
 * A dangling symbolic link, or a part that cannot be looked up, is a UserError naming the flag.
 */
export function outputPath(dir: string, flag: string): string {
  if (dir === "") throw new UserError(`${flag} must be a directory path (got "")`);
  const parts = (isAbsolute(dir) ? dir : `${process.cwd()}/${dir}`).split("/");
  let cur = "/";
  let exists = true;
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      cur = dirname(cur);
      continue;
    }
    const next = cur === "/" ? `/${part}` : `${cur}/${part}`;
    if (!exists) {
      cur = next;
      continue;
    }
    try {
      cur = realpathSync(next);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        throw new UserError(`${flag} ${dir}: cannot create it: ${why(err)}`);
      let link: string | undefined;
      try {
        if (lstatSync(next).isSymbolicLink()) link = readlinkSync(next);
      } catch {
        link = undefined; // not there at all: to be made
      }
      if (link !== undefined) {
        throw new UserError(
          `${flag} ${dir}: ${next} is a symbolic link to ${link}, which does not exist; ` +
            "point it at a directory, remove it, or choose another directory",
        );
      }
      cur = next;
      exists = false;
    }
  }
  return cur;
}

/**
 * Check, without writing, that the output directory `dir` given by `flag` (e.g. "--out") can be
 * made: not empty, not in a kernel tree, and its nearest existing ancestor (or itself) a
 * directory. Returns the missing directories, outermost first. Throws a UserError naming the flag.
 */
export function checkOutputDir(dir: string, flag: string): string[] {
  const full = outputPath(dir, flag);
  const tree = KERNEL_TREES.find((t) => full === t || full.startsWith(`${t}/`));
  if (tree !== undefined) {
    throw new UserError(
      `${flag} ${dir}: cannot write under ${tree}, a kernel file system; choose another directory`,
    );
  }
  const missing: string[] = [];
  for (let p = full; ; p = dirname(p)) {
    let st: Stats | undefined;
    try {
      st = statSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        throw new UserError(`${flag} ${dir}: cannot create it: ${why(err)}`);
    }
    if (st !== undefined) {
      if (!st.isDirectory()) {
        throw new UserError(
          p === full
            ? `${flag} ${dir} exists and is not a directory`
            : `${flag} ${dir}: ${p} exists and is not a directory`,
        );
      }
      return missing;
    }
    missing.unshift(p);
    if (dirname(p) === p) return missing;
  }
}

/**
 * Create the output directory `dir` given by `flag` (e.g. "--out") and its missing parents, one
 * level at a time: never Node's recursive mkdir, which spins forever under /proc on Node 20.
 * Throws a UserError naming the flag (see checkOutputDir). An existing directory is fine. Returns
 * the directory's physical path (outputPath): join files to it, not to `dir`, since path.join
 * resolves `link/..` textually.
 */
export function makeOutputDir(dir: string, flag: string): string {
  const full = outputPath(dir, flag);
  for (const p of checkOutputDir(dir, flag)) {
    try {
      mkdirSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && statSync(p).isDirectory()) continue;
      throw new UserError(`${flag} ${dir}: cannot create ${p}: ${why(err)}`);
    }
  }
  return full;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
  EROFS: "a read-only file system",
};

/** Why a file could not be read or created, in words, with the system's code: "no such file (ENOENT)". */
export function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return String(err);
  const reason = REASONS[code];
  return reason === undefined ? code : `${reason} (${code})`;
}
