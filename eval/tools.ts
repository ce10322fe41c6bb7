/**
 * The agent's tools, as one table (name, what it does, its arguments as a Contract), and the MCP
 * server that exposes them (the official TypeScript SDK's low-level Server, so the arguments' JSON
 * Schema is the TypeBox schema itself). Every call is checked against the budget, validated,
 * timed and recorded in the trajectory; a refused or failed call is an MCP tool error the agent
 * reads, never an exception that ends the episode.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { ANSWER, type Answer } from "../core/eval/answer";
import type { ToolCall } from "../core/eval/documents";
import { UserError } from "../core/errors";
import { Contract } from "../core/schema";
import type { EvalBackend } from "./backend";

const strict = { additionalProperties: false } as const;
const SERVICE = Type.String({
  minLength: 1,
  maxLength: 63,
  description: 'a service id ("E") or name ("svc-e")',
});
const LIMIT = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 5000, description: "most results (default 200)" }),
);
const SINCE = Type.Optional(
  Type.Number({ minimum: 0, maximum: 86_400, description: "only the last N seconds (default: all)" }),
);

/** What a tool's run gets besides its arguments. */
export interface ToolContext {
  readonly backend: EvalBackend;
  /** Record the answer (each field once); throws a UserError for a field given twice. */
  readonly submit: (a: Answer) => void;
  /** After an action: the harness checks whether the objects match the baseline again. */
  readonly acted: () => void;
}

interface ToolDef<S extends TSchema> {
  readonly name: string;
  readonly description: string;
  readonly args: Contract<S>;
  readonly run: (ctx: ToolContext, args: Static<S>) => Promise<unknown>;
}

function tool<S extends TSchema>(
  name: string,
  description: string,
  schema: S,
  run: (ctx: ToolContext, args: Static<S>) => Promise<unknown>,
): ToolDef<S> {
  return { name, description, args: new Contract(schema, name), run };
}

const act = async (ctx: ToolContext, f: () => Promise<void>): Promise<string> => {
  await f();
  ctx.acted();
  return "done";
};

export const TOOLS = [
  tool(
    "get_pods",
    "One line per service, as `kubectl get pods` shows it: ready, status, restarts, last termination.",
    Type.Object({}, strict),
    async (ctx) => ctx.backend.pods(),
  ),
  tool(
    "get_objects",
    "The live Kubernetes objects of the system (Deployments, Services, ConfigMaps with service.json, NetworkPolicies, HPAs, PDBs, PVCs). Without `name`, their keys; with it, the objects of that service in full.",
    Type.Object(
      {
        kind: Type.Optional(Type.String({ maxLength: 64, description: "only this kind, e.g. Deployment" })),
        name: Type.Optional(Type.String({ maxLength: 63, description: "only the objects of this service" })),
      },
      strict,
    ),
    async (ctx, a) => {
      const all = (await ctx.backend.objects()) as { kind: string; metadata: { name: string } }[];
      const mine = all.filter(
        (o) =>
          (a.kind === undefined || o.kind === a.kind) &&
          (a.name === undefined ||
            o.metadata.name === a.name.toLowerCase() ||
            o.metadata.name === `svc-${a.name.toLowerCase()}`),
      );
      if (a.name === undefined)
        return mine.map(
          (o) =>
            `${(o as unknown as { apiVersion: string }).apiVersion}/${o.kind}/${(o.metadata as { namespace?: string }).namespace ?? ""}/${o.metadata.name}`,
        );
      return mine;
    },
  ),
  tool(
    "query_metrics",
    "A PromQL query against the system's Prometheus (scraped every second; metrics grpc_server_handled_total, grpc_server_handling_seconds, grpc_client_handled_total{callee}, grpc_client_handling_seconds, slop_op_duration_seconds{op}, slop_inflight_requests; labels service and slop_service). Instant, or a range over the last rangeS seconds.",
    Type.Object(
      {
        query: Type.String({ minLength: 1, maxLength: 4096 }),
        rangeS: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
        stepS: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3600 })),
      },
      strict,
    ),
    async (ctx, a) => ctx.backend.promql(a),
  ),
  tool(
    "search_traces",
    "Spans of the system's traces, newest first (or oldest first): service, name, kind, start (epoch ms), duration, status, the callee of a call. Filter by service, failed spans only, a least duration, and when they ended (sinceS, untilS: seconds before now).",
    Type.Object(
      {
        service: Type.Optional(SERVICE),
        errorsOnly: Type.Optional(Type.Boolean()),
        minDurationMs: Type.Optional(Type.Number({ minimum: 0 })),
        sinceS: SINCE,
        untilS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
        order: Type.Optional(Type.Union([Type.Literal("newest"), Type.Literal("oldest")])),
        limit: LIMIT,
      },
      strict,
    ),
    async (ctx, a) => ctx.backend.traces({ ...a, limit: a.limit ?? 200 }),
  ),
  tool(
    "search_logs",
    "Log lines of the services (JSON, one per event), oldest first: filter by service, least level, a substring, the last N seconds.",
    Type.Object(
      {
        service: Type.Optional(SERVICE),
        level: Type.Optional(
          Type.Union([
            Type.Literal("debug"),
            Type.Literal("info"),
            Type.Literal("warn"),
            Type.Literal("error"),
          ]),
        ),
        contains: Type.Optional(Type.String({ maxLength: 256 })),
        sinceS: SINCE,
        limit: LIMIT,
      },
      strict,
    ),
    async (ctx, a) => ctx.backend.logs({ ...a, limit: a.limit ?? 200 }),
  ),
  tool(
    "restart",
    "Restart a service's pods (kubectl rollout restart).",
    Type.Object({ service: SERVICE }, strict),
    async (ctx, a) => act(ctx, () => ctx.backend.restart(a.service)),
  ),
  tool(
    "rollback",
    "Put every object of a service back to its previous revision (its last known good configuration).",
    Type.Object({ service: SERVICE }, strict),
    async (ctx, a) => act(ctx, () => ctx.backend.rollback(a.service)),
  ),
  tool(
    "scale",
    "Set a service's replicas (kubectl scale).",
    Type.Object({ service: SERVICE, replicas: Type.Integer({ minimum: 0, maximum: 100 }) }, strict),
    async (ctx, a) => act(ctx, () => ctx.backend.scale(a.service, a.replicas)),
  ),
  tool(
    "edit",
    "Change one object with RFC 6902 operations (add, remove, replace), e.g. object apps/v1/Deployment/slop/svc-e, patch [{op: replace, path: /spec/replicas, value: 2}].",
    Type.Object(
      {
        object: Type.String({ minLength: 1, maxLength: 1024 }),
        patch: Type.Array(
          Type.Object(
            {
              op: Type.Union([Type.Literal("add"), Type.Literal("remove"), Type.Literal("replace")]),
              path: Type.String({ pattern: "^(/([^/~]|~[01])*)+$", maxLength: 4096 }),
              value: Type.Optional(Type.Unknown()),
            },
            strict,
          ),
          { minItems: 1, maxItems: 100 },
        ),
      },
      strict,
    ),
    async (ctx, a) => act(ctx, () => ctx.backend.edit(a.object, a.patch)),
  ),
  {
    name: "submit",
    description:
      "Your answer: detected (is there an incident now?), localization (ranked suspects, most likely first: service ids or names, or edges such as B->E; lists longer than 3 lose credit), kind (one of the fault kinds in the problem statement), and optionally the usage (tokens, cost) you spent. Each field may be given once; you may submit the fields at different times.",
    args: ANSWER,
    run: async (ctx: ToolContext, a: Answer) => {
      ctx.submit(a);
      return "recorded";
    },
  } satisfies ToolDef<typeof ANSWER.schema>,
] as const;

export type ToolName = (typeof TOOLS)[number]["name"];

/** Why the agent's turn ended (see Trajectory.end). */
export type EndReason = "returned" | "steps" | "time" | "failed";

export interface ToolServerOptions {
  readonly ctx: ToolContext;
  readonly steps: number;
  /** Epoch ms of the hand-over; calls are timed from it. */
  readonly startMs: number;
  /** Epoch ms past which every call is refused. */
  readonly deadlineMs: number;
  /** Called once when the step budget is spent (the episode then ends the agent's turn). */
  readonly onBudget: (why: EndReason) => void;
}

/** One MCP server over the tools, and the trajectory of the calls it served. */
export function toolServer(o: ToolServerOptions): { server: Server; calls: ToolCall[] } {
  const calls: ToolCall[] = [];
  const server = new Server({ name: "slop-sre", version: "0.1.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.args.schema as unknown as { type: "object"; properties?: Record<string, object> },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const t0 = Date.now();
    const name = req.params.name;
    const args = req.params.arguments ?? {};
    const record = (
      ok: boolean,
      text: string,
      error?: string,
    ): { content: { type: "text"; text: string }[]; isError?: boolean } => {
      calls.push({
        step: calls.length + 1,
        tool: name,
        args,
        startS: (t0 - o.startMs) / 1000,
        durationMs: Date.now() - t0,
        ok,
        ...(error === undefined ? {} : { error }),
        resultChars: text.length,
      });
      if (calls.length >= o.steps) o.onBudget("steps");
      return { content: [{ type: "text", text }], ...(ok ? {} : { isError: true }) };
    };
    if (calls.length >= o.steps)
      return { content: [{ type: "text", text: "step budget spent" }], isError: true };
    if (Date.now() >= o.deadlineMs)
      return { content: [{ type: "text", text: "time budget spent" }], isError: true };
    const def = TOOLS.find((t) => t.name === name);
    if (def === undefined) return record(false, `unknown tool ${name}`, `unknown tool ${name}`);
    try {
      const parsed = def.args.parse(args);
      const out = await (def.run as (c: ToolContext, a: unknown) => Promise<unknown>)(o.ctx, parsed);
      return record(true, typeof out === "string" ? out : JSON.stringify(out));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      return record(false, err.message, err.message);
    }
  });
  return { server, calls };
}
