import { status } from "@grpc/grpc-js";

/** A failure with the gRPC status the request should end with. */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

export function statusName(code: number): string {
  return status[code] ?? `CODE_${code}`;
}

/**
 * What a real server or proxy answers with this status: "no healthy upstream", "internal error",
 * never why the status was returned (a fault knob is not something a real service would name).
 */
export function statusMessage(code: number): string {
  switch (code) {
    case status.UNAVAILABLE:
      return "no healthy upstream";
    case status.INTERNAL:
      return "internal error";
    case status.UNKNOWN:
      return "unknown error";
    case status.DEADLINE_EXCEEDED:
      return "deadline exceeded";
    default:
      return statusName(code).toLowerCase().replace(/_/g, " ");
  }
}

/** Anything thrown while serving a request, as an RpcError (unknown errors become INTERNAL). */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof e?.code === "number" && typeof e.details === "string") return new RpcError(e.code, e.details);
  return new RpcError(status.INTERNAL, err instanceof Error ? err.message : String(err));
}
