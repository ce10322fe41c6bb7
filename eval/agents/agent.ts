/**
 * An agent: given an MCP client connected to the episode's tool server and the problem statement,
 * it investigates, submits and acts until it is done (it returns) or its budget is spent (the
 * signal aborts). The built-in agents need no model; `command:` runs any MCP client (an LLM agent).
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { FaultKind } from "../../core/incidents";

export interface Problem {
  /** What an on-call engineer is told, in words. */
  readonly statement: string;
  /** The services by Kubernetes name, the gateway first. */
  readonly services: readonly string[];
  readonly gateway: string;
  /** Service id -> Kubernetes name (spans name a call's callee by id). */
  readonly names: Readonly<Record<string, string>>;
  /** The fault kinds an answer may name. */
  readonly kinds: readonly FaultKind[];
  readonly steps: number;
  readonly seconds: number;
}

export interface Agent {
  run(client: Client, problem: Problem, signal: AbortSignal): Promise<void>;
}

/** A tool's result as JSON (or its text), or null when the call was refused or failed. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  const res = await client.callTool({ name, arguments: args });
  const text = (res.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("");
  if (res.isError === true) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
