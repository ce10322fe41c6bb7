import { Metadata } from "@grpc/grpc-js";
import type { Tracer } from "@opentelemetry/api";
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { parse } from "../../core/grammar";
import { Executor, type RequestScope } from "../../runtime/executor";
import { createMetrics } from "../../runtime/metrics";
import { opSpansFrom } from "../../runtime/server";
import { cfgOf, Fleet } from "./helpers";

const fleet = new Fleet();
afterEach(() => fleet.stopAll());
afterEach(() => jest.restoreAllMocks());

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

/** Counts every span any service of this test starts, recorded or not. */
function countStartedSpans(): { n: number } {
  const counter = { n: 0 };
  const original = BasicTracerProvider.prototype.getTracer;
  jest.spyOn(BasicTracerProvider.prototype, "getTracer").mockImplementation(function (
    this: BasicTracerProvider,
    ...args: Parameters<typeof original>
  ) {
    const tracer = original.apply(this, args);
    const start = tracer.startSpan.bind(tracer);
    tracer.startSpan = (...a: Parameters<Tracer["startSpan"]>) => {
      counter.n++;
      return start(...a);
    };
    return tracer;
  });
  return counter;
}

/** The trace id of each "handled" debug log line, per service. */
function handledTraceIds(logs: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of logs) {
    const e = JSON.parse(l) as { msg: string; service: string; trace_id?: string };
    if (e.msg === "handled") (out[e.service] ??= []).push(e.trace_id ?? "none");
  }
  return out;
}

/** Keeps every exported span (an InMemorySpanExporter forgets them when its provider shuts down). */
class KeepingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    this.spans.push(...spans);
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  getFinishedSpans(): ReadableSpan[] {
    return this.spans;
  }
}

async function chain(opts: { rootRatio?: number; opSpans?: boolean } = {}) {
  const exporter = new KeepingExporter();
  const common = { spanExporters: [exporter], logLevel: "debug" as const, opSpans: opts.opSpans };
  const c = await fleet.start(cfgOf("C", ["noop"]), common);
  const b = await fleet.start(cfgOf("B", ["C,mem"], { callees: { C: c.address } }), common);
  const a = await fleet.start(cfgOf("A", ["B"], { callees: { B: b.address } }), {
    ...common,
    sampleRatio: opts.rootRatio,
  });
  return { exporter, client: fleet.client(a.address) };
}

describe("tracing costs what it records", () => {
  it("a request whose caller did not sample it starts no span anywhere and passes that decision on", async () => {
    const started = countStartedSpans();
    const { exporter, client } = await chain({ opSpans: true });
    const md = new Metadata();
    md.set("traceparent", `00-${TRACE}-${PARENT}-00`);
    await client.handle({ requestId: "unsampled" }, 3000, md);
    await fleet.stopAll();
    expect(started.n).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(handledTraceIds(fleet.logs)).toEqual({ A: [TRACE], B: [TRACE], C: [TRACE] });
  });

  it("a root not sampled (ratio 0) makes its callees record nothing either, under one fresh trace id", async () => {
    const started = countStartedSpans();
    const { exporter, client } = await chain({ rootRatio: 0 });
    await client.handle({ requestId: "root" }, 3000);
    await fleet.stopAll();
    expect(started.n).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
    const ids = handledTraceIds(fleet.logs);
    expect(ids.A?.[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids).toEqual({ A: ids.A, B: ids.A, C: ids.A });
  });

  it.each([
    [false, ["Handle A", "Handle B", "Handle C", "call B", "call C"]],
    [true, ["Handle A", "Handle B", "Handle C", "call B", "call C", "op mem", "op noop"]],
  ])(
    "a sampled request records server and call spans; op spans too with opSpans %p",
    async (opSpans, names) => {
      const { exporter, client } = await chain({ opSpans });
      await client.handle({ requestId: "sampled" }, 3000);
      await fleet.stopAll();
      const spans = exporter.getFinishedSpans();
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
      expect(
        spans
          .map((s) =>
            s.name === "slop.v1.SlopService/Handle"
              ? `Handle ${String(s.attributes["slop.service"])}`
              : s.name,
          )
          .sort(),
      ).toEqual(names);
    },
  );

  it.each([
    [undefined, false],
    ["", false],
    ["0", false],
    ["false", false],
    ["1", true],
    ["true", true],
  ])("SLOP_TRACE_OPS %p turns op spans %p", (value, on) => {
    expect(opSpansFrom(value)).toBe(on);
  });

  it("SLOP_TRACE_OPS refuses other values, naming the variable", () => {
    expect(() => opSpansFrom("yes")).toThrow('SLOP_TRACE_OPS must be 1, true, 0 or false (got "yes")');
  });

  it("the executor starts no span for an unrecorded request, and op spans only when asked", async () => {
    const run = async (traced: boolean, opSpans: boolean): Promise<number> => {
      let n = 0;
      const tracer = new BasicTracerProvider().getTracer("test");
      const counting = {
        startSpan: (...a: Parameters<Tracer["startSpan"]>) => (n++, tracer.startSpan(...a)),
      } as unknown as Tracer;
      const executor = new Executor({
        local: {
          costs: { cpuMs: 0, memMiB: 0, diskKiB: 0, ioOps: 0, netKiB: 0 },
          cpu: { iterationsPerMs: 1, source: "pinned", spread: 0, cpuMs: 0, at: "" },
          memory: null,
          dataDir: "/nonexistent",
          echoPort: 0,
        },
        callees: { call: async () => ({}) as never, close: () => undefined },
        metrics: createMetrics("A", false),
        tracer: counting,
        opSpans,
        inject: () => undefined,
        random: Math.random,
      });
      const scope: RequestScope = {
        requestId: "x",
        hop: 0,
        payload: Buffer.alloc(0),
        flags: 0,
        deadline: Date.now() + 5000,
        signal: new AbortController().signal,
        start: performance.now(),
        timings: null,
        traced,
        calls: 0,
      };
      const { ROOT_CONTEXT } = await import("@opentelemetry/api");
      await executor.run(parse("noop,mem,B"), scope, ROOT_CONTEXT);
      return n;
    };
    expect(await run(false, true)).toBe(0);
    expect(await run(true, false)).toBe(1);
    expect(await run(true, true)).toBe(3);
  });
});
