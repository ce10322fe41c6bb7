import { appendFileSync } from "fs";
import type { AttributeValue, Attributes } from "@opentelemetry/api";
import { ExportResultCode, hrTimeToNanoseconds, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

type OtlpValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpValue[] } };

function otlpValue(v: AttributeValue): OtlpValue {
  if (Array.isArray(v)) {
    return {
      arrayValue: { values: v.filter((x) => x !== null && x !== undefined).map((x) => otlpValue(x)) },
    };
  }
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v as number };
}

function otlpAttributes(attrs: Attributes): { key: string; value: OtlpValue }[] {
  return Object.entries(attrs)
    .filter((e): e is [string, AttributeValue] => e[1] !== undefined)
    .map(([key, value]) => ({ key, value: otlpValue(value) }));
}

/** One export batch as an OTLP/JSON ExportTraceServiceRequest (hex ids, nanosecond strings). */
export function toOtlpJson(spans: readonly ReadableSpan[]): object {
  const byResource = new Map<ReadableSpan["resource"], ReadableSpan[]>();
  for (const s of spans) {
    const list = byResource.get(s.resource);
    if (list === undefined) byResource.set(s.resource, [s]);
    else list.push(s);
  }
  return {
    resourceSpans: [...byResource].map(([resource, list]) => ({
      resource: { attributes: otlpAttributes(resource.attributes) },
      scopeSpans: [
        {
          scope: {
            name: list[0].instrumentationScope.name,
            version: list[0].instrumentationScope.version ?? "",
          },
          spans: list.map((s) => ({
            traceId: s.spanContext().traceId,
            spanId: s.spanContext().spanId,
            parentSpanId: s.parentSpanContext?.spanId ?? "",
            name: s.name,
            // OTLP SpanKind is the API's SpanKind + 1 (0 = unspecified).
            kind: s.kind + 1,
            startTimeUnixNano: String(hrTimeToNanoseconds(s.startTime)),
            endTimeUnixNano: String(hrTimeToNanoseconds(s.endTime)),
            attributes: otlpAttributes(s.attributes),
            status: { code: s.status.code, message: s.status.message ?? "" },
          })),
        },
      ],
    })),
  };
}

/** A SpanExporter appending one OTLP/JSON line per export batch to a file. */
export class OtlpJsonFileExporter implements SpanExporter {
  constructor(private readonly file: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      appendFileSync(this.file, JSON.stringify(toOtlpJson(spans)) + "\n");
      done({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
