/**
 * Request tracing: every request belongs to a W3C trace (the caller's, or a
 * new one) and gets a span id the response echoes in `traceparent`. When an
 * OTLP endpoint is configured, spans are exported with OpenTelemetry's SDK:
 * one per request, with children for the queue wait and the execution.
 */
import {
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from "@opentelemetry/api";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { randomHex, type TraceParent } from "./trace_context.ts";

/** One request's place in its trace. */
export interface RequestSpan {
  /** The trace and this request's span, as the response's `traceparent` says. */
  readonly context: TraceParent;
  /** Sets attributes (strings and numbers). */
  set(attributes: Record<string, string | number | boolean | undefined>): void;
  /** Records a child span that ran from `startMs` to `endMs` (epoch ms). */
  child(name: string, startMs: number, endMs: number, attributes?: Record<string, string>): void;
  /** Ends the span with the response's status. */
  end(httpStatus: number): void;
}

/** Starts request spans. */
export interface RequestTracer {
  start(name: string, parent: TraceParent | undefined): RequestSpan;
  /** Sends what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/** Where spans go, if anywhere. */
export interface TracingOptions {
  /** OTLP/HTTP traces URL (…/v1/traces); undefined to export nothing. */
  tracesUrl?: string;
  serviceName: string;
  serviceVersion: string;
  /** How often buffered spans are sent, ms. */
  exportDelayMs?: number;
}

/** A tracer for `options`: exporting over OTLP, or only minting ids. */
export function createTracer(options: TracingOptions): RequestTracer {
  return options.tracesUrl ? new OtlpTracer(options, options.tracesUrl) : new IdTracer();
}

/** Gives each request a span id within the caller's trace (or a new one); exports nothing. */
class IdTracer implements RequestTracer {
  start(_name: string, parent: TraceParent | undefined): RequestSpan {
    const ctx = {
      traceId: parent?.traceId ?? randomHex(16),
      spanId: randomHex(8),
      flags: parent?.flags ?? "01",
    };
    return { context: ctx, set() {}, child() {}, end() {} };
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class OtlpTracer implements RequestTracer {
  #provider: TracerProvider;
  #tracer;

  constructor(options: TracingOptions, url: string) {
    this.#provider = new TracerProvider({
      resource: resourceFromAttributes({
        "service.name": options.serviceName,
        "service.version": options.serviceVersion,
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url }),
          scheduledDelayMillis: options.exportDelayMs ?? 2000,
        }),
      ],
    });
    this.#tracer = this.#provider.getTracer("faas-sandbox");
  }

  start(name: string, parent: TraceParent | undefined): RequestSpan {
    const parentContext = parent
      ? trace.setSpanContext(ROOT_CONTEXT, {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.flags === "00" ? TraceFlags.NONE : TraceFlags.SAMPLED,
        isRemote: true,
      })
      : ROOT_CONTEXT;
    const span: Span = this.#tracer.startSpan(name, { kind: SpanKind.SERVER }, parentContext);
    const sc = span.spanContext();
    const inside = trace.setSpan(context.active(), span);
    const tracer = this.#tracer;
    return {
      context: {
        traceId: sc.traceId,
        spanId: sc.spanId,
        flags: sc.traceFlags & TraceFlags.SAMPLED ? "01" : "00",
      },
      set(attributes) {
        for (const [k, v] of Object.entries(attributes)) {
          if (v !== undefined) span.setAttribute(k, v);
        }
      },
      child(childName, startMs, endMs, attributes = {}) {
        tracer.startSpan(childName, { startTime: startMs, attributes }, inside).end(endMs);
      },
      end(httpStatus) {
        span.setAttribute("http.response.status_code", httpStatus);
        if (httpStatus >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  }

  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
