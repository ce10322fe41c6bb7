import { open, unlink } from "fs/promises";
import { scratchFile } from "./disk";

export const IO_WRITE_BYTES = 4096;

/**
 * `io`: `ops` small (4 KiB) writes to a new file under `dataDir`, each followed by fdatasync, then
 * delete the file. Returns the number of synced writes.
 */
export async function syncedWrites(dataDir: string, ops: number): Promise<number> {
  const n = Math.max(1, Math.floor(ops));
  const block = Buffer.alloc(IO_WRITE_BYTES, 0x5a);
  const file = scratchFile(dataDir, "io");
  const fh = await open(file, "w");
  try {
    for (let i = 0; i < n; i++) {
      await fh.write(block, 0, IO_WRITE_BYTES, i * IO_WRITE_BYTES);
      await fh.datasync();
    }
    return n;
  } finally {
    await fh.close();
    await unlink(file).catch(() => undefined);
  }
}
