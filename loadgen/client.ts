/**
 * The load generator's view of a target: one call that resolves to a gRPC status code (0 = OK).
 * `grpcTarget` calls `slop.v1.SlopService/Handle` over one HTTP/2 connection, with the light
 * client of h2.ts (grpc-js costs nearly twice the CPU per call, taken from the system measured).
 */
import * as grpc from "@grpc/grpc-js";
import { loadProtos } from "../runtime/proto";
import { unaryClient } from "./h2";
import { hexId } from "../runtime/tracing";

export interface CallOptions {
  /** Run this path of the service (HandleRequest.path_index) instead of a random one. */
  readonly pathIndex?: number;
  /** false: send a trace context whose sampled flag is off, so no service records the request. */
  readonly sampled?: false;
}

export interface Target {
  /** Send one request; resolves (never rejects) to the gRPC status code. */
  call(requestId: string, deadlineMs: number, opts?: CallOptions): Promise<number>;
  close(): void;
}

/** A W3C traceparent with a fresh trace id and the sampled flag off. */
export function unsampledTraceparent(): string {
  return `00-${hexId(32)}-${hexId(16)}-00`;
}

/** The SlopService definition, from the one proto loader (runtime/proto.ts). */
export function slopServiceDefinition(): grpc.ServiceDefinition {
  return loadProtos().slop.slop.v1.SlopService.service;
}

export function grpcTarget(address: string): Target {
  const method = slopServiceDefinition()["Handle"];
  if (!method) throw new Error("SlopService has no Handle method");
  const client = unaryClient(address, method.path);
  return {
    call(requestId, deadlineMs, opts = {}) {
      const message = method.requestSerialize({
        requestId,
        hop: 0,
        ...(opts.pathIndex === undefined ? {} : { pathIndex: opts.pathIndex }),
      });
      // After close() (e.g. Ctrl-C mid-run) a due request is cancelled, never thrown.
      return client.call(
        message,
        deadlineMs,
        opts.sampled === false ? { traceparent: unsampledTraceparent() } : {},
      );
    },
    close() {
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
