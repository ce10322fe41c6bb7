const PAGE = 4096;

/**
 * `mem`: allocate `mib` MiB and write one byte in every 4 KiB page, so the memory is really
 * resident (a zero-filled allocation may be mapped lazily). Returns the number of pages touched.
 */
export function touchMemory(mib: number): number {
  const bytes = Math.max(0, Math.floor(mib * 1024 * 1024));
  if (bytes === 0) return 0;
  const buf = Buffer.allocUnsafeSlow(bytes);
  let pages = 0;
  for (let off = 0; off < bytes; off += PAGE) {
    buf[off] = pages & 0xff;
    pages++;
  }
  return pages;
}
