/**
 * The generator's own gRPC client (loadgen/h2.ts) against plain HTTP/2 servers that answer the
 * ways a gRPC server (or a proxy in front of one) can: status in trailers, trailers-only, an HTTP
 * error, a refused stream, no answer, no server.
 */
import * as http2 from "http2";
import type { AddressInfo } from "net";
import { Code, codeOfHttpStatus, grpcTimeout, unaryClient } from "../../loadgen/h2";

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, n: number) => void;

async function serve(
  handler: Handler,
): Promise<{ address: string; connections: () => number; close: () => Promise<void> }> {
  const server = http2.createServer();
  let n = 0;
  let connections = 0;
  const open = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    connections++;
    open.add(session);
    session.on("close", () => open.delete(session));
  });
  server.on("stream", (stream, headers) => {
    // A stream the handler resets emits an error here; that is the point of those tests.
    stream.on("error", () => undefined);
    handler(stream, headers, n++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open sessions would keep close() waiting.
        for (const s of open) s.destroy();
      }),
  };
}

/** A gRPC answer with `code` in the trailers (or trailers-only). */
function answer(stream: http2.ServerHttp2Stream, code: number, trailersOnly = false): void {
  if (trailersOnly) {
    stream.respond(
      { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code) },
      { endStream: true },
    );
    return;
  }
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(code) }));
  stream.end(Buffer.from([0, 0, 0, 0, 0]));
}

const MSG = Buffer.from("hello");

describe("the load generator's HTTP/2 gRPC client", () => {
  it("maps HTTP statuses and writes deadlines as the gRPC HTTP/2 spec says", () => {
    expect([400, 401, 403, 404, 429, 502, 503, 504, 500].map(codeOfHttpStatus)).toEqual([
      13, 16, 7, 12, 14, 14, 14, 14, 2,
    ]);
    expect(grpcTimeout(5000)).toBe("5000m");
    expect(grpcTimeout(0.2)).toBe("1m");
    expect(grpcTimeout(1e9)).toBe("1000000S");
  });

  it("sends a framed POST with te, content-type and grpc-timeout, and reads the status from the trailers or a trailers-only answer", async () => {
    const seen: { headers: http2.IncomingHttpHeaders; body: Buffer }[] = [];
    const srv = await serve((stream, headers, n) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        seen.push({ headers, body: Buffer.concat(chunks) });
        answer(stream, n === 0 ? 0 : 9, n === 2);
      });
    });
    const c = unaryClient(srv.address, "/pkg.Svc/Method");
    try {
      expect(await c.call(MSG, 2500, { traceparent: "00-x" })).toBe(Code.OK);
      expect(await c.call(MSG, 2500)).toBe(9);
      expect(await c.call(MSG, 2500)).toBe(9);
    } finally {
      c.close();
      await srv.close();
    }
    const first = seen[0]!;
    expect(first.headers[":method"]).toBe("POST");
    expect(first.headers[":path"]).toBe("/pkg.Svc/Method");
    expect(first.headers["content-type"]).toBe("application/grpc");
    expect(first.headers.te).toBe("trailers");
    expect(first.headers["grpc-timeout"]).toBe("2500m");
    expect(first.headers.traceparent).toBe("00-x");
    expect(first.body.equals(Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), MSG]))).toBe(true);
  });

  it("an HTTP error from a proxy is UNAVAILABLE (503) or UNIMPLEMENTED (404)", async () => {
    const srv = await serve((stream, _h, n) => {
      stream.respond({ ":status": n === 0 ? 503 : 404 }, { endStream: true });
    });
    const c = unaryClient(srv.address, "/pkg.Svc/Method");
    try {
      expect(await c.call(MSG, 2000)).toBe(Code.UNAVAILABLE);
      expect(await c.call(MSG, 2000)).toBe(Code.UNIMPLEMENTED);
    } finally {
      c.close();
      await srv.close();
    }
  });

  it("a call past its deadline is DEADLINE_EXCEEDED and the server sees it cancelled", async () => {
    let cancelled!: () => void;
    const reset = new Promise<void>((resolve) => (cancelled = resolve));
    const srv = await serve((stream) => stream.on("close", () => cancelled()));
    const c = unaryClient(srv.address, "/pkg.Svc/Method");
    try {
      const t0 = performance.now();
      expect(await c.call(MSG, 150)).toBe(Code.DEADLINE_EXCEEDED);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(149);
      await reset;
    } finally {
      c.close();
      await srv.close();
    }
  });

  it("a stream refused before processing is retried once; refused twice, the call is UNAVAILABLE", async () => {
    for (const refusals of [1, 2]) {
      const srv = await serve((stream, _h, n) => {
        if (n < refusals) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        else answer(stream, 0);
      });
      const c = unaryClient(srv.address, "/pkg.Svc/Method");
      try {
        expect(await c.call(MSG, 2000)).toBe(refusals === 1 ? Code.OK : Code.UNAVAILABLE);
      } finally {
        c.close();
        await srv.close();
      }
    }
  });

  it("a reset after the answer began is INTERNAL; close() makes later calls CANCELLED", async () => {
    const srv = await serve((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.write(Buffer.from([0, 0, 0, 0, 0]), () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    });
    const c = unaryClient(srv.address, "/pkg.Svc/Method");
    try {
      expect(await c.call(MSG, 2000)).toBe(Code.INTERNAL);
    } finally {
      c.close();
      await srv.close();
    }
    expect(await c.call(MSG, 2000)).toBe(Code.CANCELLED);
  });

  it("with no server: UNAVAILABLE for every call, each one tried; once a server listens, the next call gets through", async () => {
    const srv = await serve((stream) => answer(stream, 0));
    const address = srv.address;
    await srv.close();
    const c = unaryClient(address, "/pkg.Svc/Method");
    try {
      expect(await c.call(MSG, 2000)).toBe(Code.UNAVAILABLE);
      expect(await c.call(MSG, 2000)).toBe(Code.UNAVAILABLE);
      // The same port again, answering now: no backoff keeps the next call from it.
      const port = Number(address.split(":")[1]);
      const again = http2.createServer();
      again.on("stream", (stream) => answer(stream, 0));
      await new Promise<void>((resolve, reject) => {
        again.once("error", reject);
        again.listen(port, "127.0.0.1", resolve);
      });
      try {
        expect(await c.call(MSG, 2000)).toBe(Code.OK);
      } finally {
        c.close();
        await new Promise<void>((resolve) => again.close(() => resolve()));
      }
    } finally {
      c.close();
    }
  });

  it("after the server's GOAWAY (a graceful restart), the next calls go over a new connection", async () => {
    const srv = await serve((stream, _h, n) => {
      answer(stream, 0);
      // Once the first call is answered, the server says it takes no more streams on this connection.
      // (stream.session is gone once the stream closed: keep it.)
      const session = stream.session;
      if (n === 0) stream.on("close", () => session?.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id));
    });
    const c = unaryClient(srv.address, "/pkg.Svc/Method");
    try {
      expect(await c.call(MSG, 2000)).toBe(Code.OK);
      await new Promise((r) => setTimeout(r, 50));
      expect(await c.call(MSG, 2000)).toBe(Code.OK);
      expect(await c.call(MSG, 2000)).toBe(Code.OK);
      expect(srv.connections()).toBe(2);
    } finally {
      c.close();
      await srv.close();
    }
  });
});
