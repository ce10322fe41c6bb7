/**
 * The load generator's view of a target: one call that resolves to a gRPC status code (0 = OK).
 * `grpcTarget` calls `slop.v1.SlopService/Handle` through a single HTTP/2 channel.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { existsSync } from "fs";
import { join } from "path";

export interface Target {
  /** Send one request; resolves (never rejects) to the gRPC status code. */
  call(requestId: string, deadlineMs: number): Promise<number>;
  close(): void;
}

/** Locate proto/slop/v1/slop.proto from source (loadgen/) or compiled (dist/loadgen/) code. */
export function protoFile(): string {
  for (const up of ["..", "../.."]) {
    const p = join(__dirname, up, "proto", "slop", "v1", "slop.proto");
    if (existsSync(p)) return p;
  }
  throw new Error(`proto/slop/v1/slop.proto not found above ${__dirname}`);
}

/** The SlopService definition loaded from the proto (shared by client and test servers). */
export function slopServiceDefinition(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(protoFile(), {
    keepCase: false,
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  const svc = def["slop.v1.SlopService"];
  if (!svc || !("Handle" in svc)) throw new Error("slop.v1.SlopService not found in the proto");
  return svc as grpc.ServiceDefinition;
}

export function grpcTarget(address: string): Target {
  const definition = slopServiceDefinition();
  const Ctor = grpc.makeGenericClientConstructor(definition, "SlopService");
  const client = new Ctor(address, grpc.credentials.createInsecure(), {
    "grpc.max_concurrent_streams": 100000,
  });
  const method = definition["Handle"];
  if (!method) throw new Error("SlopService has no Handle method");
  const state = { closed: false };
  return {
    call(requestId, deadlineMs) {
      // After close() (e.g. Ctrl-C mid-run) a due request is cancelled, never thrown.
      if (state.closed) return Promise.resolve(grpc.status.CANCELLED);
      return new Promise((resolve) => {
        client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          { requestId, hop: 0 },
          new grpc.Metadata(),
          { deadline: Date.now() + deadlineMs },
          (err: grpc.ServiceError | null) => resolve(err ? err.code : grpc.status.OK),
        );
      });
    },
    close() {
      state.closed = true;
      client.close();
    },
  };
}

/** Wait until the channel is connected (or throw after `timeoutMs`). */
export async function waitReady(address: string, timeoutMs: number): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    client.close();
  }
}
