/**
 * Tracing of one service: its own TracerProvider (never registered globally, so many services can
 * share a process), a W3C trace-context propagator over gRPC metadata, and explicit Context
 * passing (no global context manager is needed).
 */
import type { Metadata } from "@grpc/grpc-js";
import {
  ROOT_CONTEXT,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
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
  /** Extra exporters (tests). */
  readonly exporters?: readonly SpanExporter[];
}

export interface ServiceTracing {
  /** Null when tracing is off (no exporter configured). */
  readonly tracer: Tracer | null;
  extract(metadata: Metadata): Context;
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

export function createTracing(opts: TracingOptions): ServiceTracing {
  const propagator = new W3CTraceContextPropagator();
  const exporters: SpanExporter[] = [...(opts.exporters ?? [])];
  if (opts.otlpEndpoint) exporters.push(new OTLPTraceExporter({ url: opts.otlpEndpoint }));
  if (opts.traceFile) exporters.push(new OtlpJsonFileExporter(opts.traceFile));
  const base = {
    extract: (md: Metadata): Context => propagator.extract(ROOT_CONTEXT, md, getter),
    inject: (ctx: Context, md: Metadata): void => propagator.inject(ctx, md, setter),
  };
  if (exporters.length === 0) return { ...base, tracer: null, shutdown: () => Promise.resolve() };
  const spanProcessors: SpanProcessor[] = exporters.map(
    (e) => new BatchSpanProcessor(e, { scheduledDelayMillis: 1000 }),
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": opts.serviceName,
      "service.namespace": opts.namespace,
      "slop.service": opts.serviceId,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
    spanProcessors,
  });
  return {
    ...base,
    tracer: provider.getTracer("k8s-slop/runtime"),
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
