import { randomBytes } from "crypto";
import { open, unlink } from "fs/promises";
import { join } from "path";

/** A file name unique within the data dir for one op. */
export function scratchFile(dataDir: string, op: string): string {
  return join(dataDir, `${op}-${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * `disk`: write `kib` KiB to a new file under `dataDir`, fsync it, read it back and check the
 * content, then delete it. Returns the number of bytes read back.
 */
export async function diskRoundTrip(dataDir: string, kib: number): Promise<number> {
  const size = Math.max(1, Math.floor(kib * 1024));
  const data = randomBytes(size);
  const file = scratchFile(dataDir, "disk");
  const fh = await open(file, "w+");
  try {
    await fh.write(data, 0, size, 0);
    await fh.sync();
    const back = Buffer.allocUnsafe(size);
    const { bytesRead } = await fh.read(back, 0, size, 0);
    if (bytesRead !== size || !back.equals(data)) {
      throw new Error(`disk op read back ${bytesRead} of ${size} bytes or different content from ${file}`);
    }
    return bytesRead;
  } finally {
    await fh.close();
    await unlink(file).catch(() => undefined);
  }
}
