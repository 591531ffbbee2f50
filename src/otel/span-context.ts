import { TraceFlags, context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { SpanContextSource } from '../api/metrics.js';

/**
 * The active OpenTelemetry span, if it is valid and sampled (the SDK's
 * trace-based exemplar filter): exemplars point only at traces a backend has.
 * Reads the context manager the application registered (NodeSDK, or
 * `@opentelemetry/context-async-hooks`); without one no span is ever active.
 */
export const activeSpanContext: SpanContextSource = () => {
  const span = trace.getSpan(context.active())?.spanContext();
  if (span === undefined || (span.traceFlags & TraceFlags.SAMPLED) === 0 || !isSpanContextValid(span)) return undefined;
  return span;
};
