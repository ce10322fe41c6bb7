import { createConnection, createServer, type AddressInfo, type Server } from "net";

/** A loopback TCP echo server, one per service: the `net` op sends bytes through it and back. */
export interface EchoServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const server: Server = createServer((sock) => {
    sock.on("error", () => sock.destroy());
    sock.pipe(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}

/**
 * `net`: connect to the echo server on 127.0.0.1:`port`, send `kib` KiB and receive them back.
 * Returns the number of bytes received.
 */
export function netRoundTrip(port: number, kib: number): Promise<number> {
  const size = Math.max(1, Math.floor(kib * 1024));
  return new Promise<number>((resolve, reject) => {
    let got = 0;
    const sock = createConnection({ host: "127.0.0.1", port }, () => {
      sock.setNoDelay(true);
      sock.write(Buffer.alloc(size, 0x6e));
    });
    sock.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (got >= size) {
        sock.destroy();
        resolve(got);
      }
    });
    sock.on("error", (err) => reject(new Error(`net op to 127.0.0.1:${port} failed: ${err.message}`)));
    sock.on("close", () => {
      if (got < size) reject(new Error(`net op to 127.0.0.1:${port} closed after ${got} of ${size} bytes`));
    });
  });
}
