/**
 * `omnimeter/otel`: OpenTelemetry on omnimeter. The MeterProvider bridge
 * (OpenTelemetry-instrumented code records into omnimeter) and the helpers
 * that connect omnimeter to OpenTelemetry tracing. Providers are injected,
 * never set globally. See docs/opentelemetry.md.
 */
export { createMeterProvider, OTEL_DEFAULT_BUCKETS, type BridgeMeterProvider, type MeterProviderOptions } from './meter-provider.js';
export { activeSpanContext } from './span-context.js';
