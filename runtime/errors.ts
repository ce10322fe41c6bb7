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

/** Anything thrown while serving a request, as an RpcError (unknown errors become INTERNAL). */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof e?.code === "number" && typeof e.details === "string") return new RpcError(e.code, e.details);
  return new RpcError(status.INTERNAL, err instanceof Error ? err.message : String(err));
}
