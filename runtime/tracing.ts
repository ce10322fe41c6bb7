/**
 * Tracing of one service: its own TracerProvider (never registered globally, so many services can
 * share a process), a W3C trace-context propagator over gRPC metadata, and explicit Context
 * passing (no global context manager is needed).
 *
 * The sampling decision is taken once per request, before any span exists (`sampled`): a request
 * that is not recorded gets no span at all, not even a non-recording one, and its callees get a
 * trace context with the sampled flag off (`unsampled`), so they record nothing either.
 */
import type { Metadata } from "@grpc/grpc-js";
import {
  ROOT_CONTEXT,
  TraceFlags,
  isSpanContextValid,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { OtlpJsonFileExporter } from "./trace-file";

export interface TracingOptions {
  readonly serviceId: string;
  readonly serviceName: string;
  readonly namespace: string;
  /** OTLP/gRPC collector endpoint (e.g. http://127.0.0.1:4317). */
  readonly otlpEndpoint?: string;
  /** Append OTLP/JSON lines to this file. */
  readonly traceFile?: string;
  /** Fraction of root traces sampled (0..1); parents' decisions are followed. */
  readonly sampleRatio: number;
  /** Random source of the root sampling decision. @default Math.random */
  readonly random?: () => number;
  /** Extra exporters (tests). */
  readonly exporters?: readonly SpanExporter[];
}

export interface ServiceTracing {
  /** Null when tracing is off (no exporter configured). */
  readonly tracer: Tracer | null;
  extract(metadata: Metadata): Context;
  /**
   * Whether a request with this parent context is recorded: the parent's sampled flag when it has
   * one, else (a root) `sampleRatio`; never without a tracer.
   */
  sampled(parent: Context): boolean;
  /**
   * The context an unrecorded request passes to its callees: the parent's when it carries one,
   * else a fresh trace id with the sampled flag off (so callees do not sample it on their own). A
   * service without a tracer passes the parent's on unchanged, empty or not.
   */
  unsampled(parent: Context): Context;
  inject(ctx: Context, metadata: Metadata): void;
  shutdown(): Promise<void>;
}

const getter: TextMapGetter<Metadata> = {
  keys: (md) => Object.keys(md.getMap()),
  get: (md, key) => {
    const v = md.get(key).map((x) => x.toString());
    return v.length === 0 ? undefined : v.length === 1 ? v[0] : v;
  },
};

const setter: TextMapSetter<Metadata> = { set: (md, key, value) => md.set(key, value) };

export const SHUTDOWN_FLUSH_MS = 2000;

/** `chars` random lowercase hex digits (a trace or span id; never all zeros in practice). */
export function hexId(chars: number): string {
  let s = "";
  while (s.length < chars)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  return s.slice(0, chars);
}

export function createTracing(opts: TracingOptions): ServiceTracing {
  const propagator = new W3CTraceContextPropagator();
  const exporters: SpanExporter[] = [...(opts.exporters ?? [])];
  if (opts.otlpEndpoint) exporters.push(new OTLPTraceExporter({ url: opts.otlpEndpoint }));
  if (opts.traceFile) exporters.push(new OtlpJsonFileExporter(opts.traceFile));
  const base = {
    extract: (md: Metadata): Context => propagator.extract(ROOT_CONTEXT, md, getter),
    inject: (ctx: Context, md: Metadata): void => propagator.inject(ctx, md, setter),
  };
  if (exporters.length === 0) {
    return {
      ...base,
      tracer: null,
      sampled: () => false,
      unsampled: (parent) => parent,
      shutdown: () => Promise.resolve(),
    };
  }
  const random = opts.random ?? Math.random;
  const ratio = opts.sampleRatio;
  const spanProcessors: SpanProcessor[] = exporters.map(
    (e) => new BatchSpanProcessor(e, { scheduledDelayMillis: 1000 }),
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": opts.serviceName,
      "service.namespace": opts.namespace,
      "slop.service": opts.serviceId,
    }),
    // Spans are only started for requests `sampled` chose; their children follow them.
    sampler: new AlwaysOnSampler(),
    spanProcessors,
  });
  return {
    ...base,
    tracer: provider.getTracer("k8s-slop/runtime"),
    sampled: (parent) => {
      const sc = trace.getSpanContext(parent);
      if (sc !== undefined && isSpanContextValid(sc)) return (sc.traceFlags & TraceFlags.SAMPLED) !== 0;
      return ratio >= 1 || (ratio > 0 && random() < ratio);
    },
    unsampled: (parent) => {
      const sc = trace.getSpanContext(parent);
      if (sc !== undefined && isSpanContextValid(sc)) return parent;
      return trace.setSpanContext(parent, {
        traceId: hexId(32),
        spanId: hexId(16),
        traceFlags: TraceFlags.NONE,
        isRemote: false,
      });
    },
    // Flush what is queued, but never wait longer than SHUTDOWN_FLUSH_MS for a slow or dead collector.
    shutdown: () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`span export did not finish in ${SHUTDOWN_FLUSH_MS} ms`)),
          SHUTDOWN_FLUSH_MS,
        );
        provider.shutdown().then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err instanceof Error ? new Error(`span export failed at shutdown: ${err.message}`) : err);
          },
        );
      }),
  };
}
