/**
 * grpc.health.v1.Health for one server: Check and Watch over a small status table. The server
 * ("") and slop.v1.SlopService share one status.
 */
import {
  status as grpcStatus,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { HealthCheckRequest__Output } from "../proto/gen/grpc/health/v1/HealthCheckRequest";
import type { HealthCheckResponse } from "../proto/gen/grpc/health/v1/HealthCheckResponse";
import type { HealthHandlers } from "../proto/gen/grpc/health/v1/Health";

export type ServingStatus = "SERVING" | "NOT_SERVING";

export interface HealthState {
  readonly status: () => ServingStatus;
  set(status: ServingStatus): void;
  /** End every Watch stream (before shutting the server down). */
  endWatches(): void;
  readonly handlers: HealthHandlers & UntypedServiceImplementation;
}

export function createHealth(services: readonly string[], initial: ServingStatus): HealthState {
  const known = new Set(["", ...services]);
  let current: ServingStatus = initial;
  // Open Watch streams -> whether they watch a known service (unknown ones get no updates).
  const watchers = new Map<ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>, boolean>();
  const handlers: HealthHandlers & UntypedServiceImplementation = {
    Check: (call, callback) => {
      if (!known.has(call.request.service)) {
        callback({ code: grpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        return;
      }
      callback(null, { status: current });
    },
    Watch: (call) => {
      const isKnown = known.has(call.request.service);
      // An unknown service gets SERVICE_UNKNOWN and the stream stays open, as the protocol asks.
      call.write({ status: isKnown ? current : "SERVICE_UNKNOWN" });
      watchers.set(call, isKnown);
      call.on("cancelled", () => watchers.delete(call));
      call.on("close", () => watchers.delete(call));
    },
  };
  return {
    status: () => current,
    set: (s) => {
      if (s === current) return;
      current = s;
      for (const [w, isKnown] of watchers) if (isKnown) w.write({ status: s });
    },
    endWatches: () => {
      for (const w of watchers.keys()) w.end();
      watchers.clear();
    },
    handlers,
  };
}
