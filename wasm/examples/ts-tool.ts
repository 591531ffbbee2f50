// A TypeScript component instrumented with omnimeter's own API: the core
// engine runs inside the component on the recorder backend, which flushes to
// the host through omnimeter:metrics/recorder.
// @ts-expect-error resolved by componentize-js at build time
import { applyBatch, now, registerMetric, registerSeries } from 'omnimeter:metrics/recorder@0.1.0';
import { recorderBackend } from '../../src/backends/recorder/index.js';
import { createMetrics } from '../../src/index.js';

// Set up on first call: componentize-js pre-initializes the module with Wizer,
// which forbids calling imports (the clock, registration) at top level.
function setup() {
  // The host's clock: the guest needs no WASI clock import.
  const clock = { now: () => now() * 1000 };
  const backend = recorderBackend({ applyBatch, now, registerMetric, registerSeries }, { clock });
  const metrics = createMetrics({ backend, clock });
  return {
    backend,
    requests: metrics.counter('ts_tool_requests_total', { help: 'Requests handled, by route.', labelNames: ['route'] as const }),
    payload: metrics.histogram('ts_tool_payload_bytes', { help: 'Request payload sizes.', buckets: [64, 256, 1024, 4096], unit: 'bytes' }),
    sizes: metrics.summary('ts_tool_payload_summary_bytes', { help: 'Payload size quantiles.', quantiles: [0.5, 0.9], unit: 'bytes' }),
    // OpenTelemetry style: a dotted name, an attribute key, a UCUM unit; Prometheus sees ts_tool_payload_received_bytes_total{http_route}.
    received: metrics.counter('ts_tool.payload.received', {
      help: 'Payload bytes received, by route.',
      labelNames: ['http.route'] as const,
      unit: 'By',
    }),
  };
}
let instruments: ReturnType<typeof setup> | undefined;
let seen = 0;

export function handle(route: string, size: number): number {
  const { backend, requests, payload, sizes, received } = (instruments ??= setup());
  requests.inc({ route });
  received.inc({ 'http.route': route }, size);
  payload.observe(size);
  sizes.observe(size);
  backend.flush();
  return ++seen;
}
