/** A typed client for Handle, for the load generator and tests. */
import { Metadata, credentials } from "@grpc/grpc-js";
import type { HandleRequest } from "../proto/gen/slop/v1/HandleRequest";
import type { HandleResponse__Output } from "../proto/gen/slop/v1/HandleResponse";
import { CLIENT_CHANNEL_OPTIONS, callHandle } from "./callees";
import { loadProtos } from "./proto";

export type { HandleRequest } from "../proto/gen/slop/v1/HandleRequest";
export type HandleResponse = HandleResponse__Output;

export interface SlopClient {
  /** One Handle call with a deadline `deadlineMs` from now; rejects with the grpc-js ServiceError (`code`, `details`). */
  handle(req: HandleRequest, deadlineMs: number, metadata?: Metadata): Promise<HandleResponse>;
  close(): void;
}

export function createClient(address: string): SlopClient {
  const protos = loadProtos();
  const client = new protos.slop.slop.v1.SlopService(
    address,
    credentials.createInsecure(),
    CLIENT_CHANNEL_OPTIONS,
  );
  return {
    handle: (req, deadlineMs, metadata) =>
      callHandle(client, req, { deadline: Date.now() + deadlineMs, metadata: metadata ?? new Metadata() }),
    close: () => client.close(),
  };
}
