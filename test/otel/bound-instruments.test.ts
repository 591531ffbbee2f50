/**
 * bindCounter / bindHistogram: the bridge's series for one attribute set,
 * recorded into without resolving the attributes again (omnimeter/mcp's hot
 * path). They must land on exactly the series `add`/`record` with the same
 * attributes reach, and refuse instruments that are not the bridge's.
 */
import { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/index.js';
import { bindCounter, bindHistogram, createMeterProvider } from '../../src/otel/meter-provider.js';

describe('bound bridge instruments', () => {
  it('record into the series add/record reach with the same attributes', async () => {
    const metrics = createMetrics();
    const meter = createMeterProvider(metrics).getMeter('scope', '1.0.0');
    const calls = meter.createCounter('tool.calls');
    const active = meter.createUpDownCounter('active.requests');
    const duration = meter.createHistogram('op.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
    const attrs = { 'gen_ai.tool.name': 'echo', outcome: 'success' };
    bindCounter(calls, attrs)!.inc(2);
    calls.add(1, { outcome: 'success', 'gen_ai.tool.name': 'echo' }); // other key order, same series
    bindCounter(active, { method: 'tools/call' })!.inc(-1);
    active.add(3, { method: 'tools/call' });
    bindHistogram(duration, attrs)!.observe(0.5);
    duration.record(2, attrs);
    const text = await metrics.registry.expose('prometheus');
    const scope = 'otel_scope_name="scope",otel_scope_version="1.0.0"';
    expect(text).toContain(`tool_calls_total{${scope},gen_ai_tool_name="echo",outcome="success"} 3\n`);
    expect(text).toContain(`active_requests{${scope},method="tools/call"} 2\n`);
    expect(text).toContain(`op_duration_seconds_bucket{${scope},gen_ai_tool_name="echo",outcome="success",le="1.0"} 1\n`);
    expect(text).toContain(`op_duration_seconds_count{${scope},gen_ai_tool_name="echo",outcome="success"} 2\n`);
    await metrics.shutdown();
  });

  it('are undefined for other providers and for attributes the bridge refuses', () => {
    const sdkMeter = new SdkMeterProvider().getMeter('sdk');
    expect(bindCounter(sdkMeter.createCounter('c'), {})).toBeUndefined();
    expect(bindHistogram(sdkMeter.createHistogram('h'), {})).toBeUndefined();
    const meter = createMeterProvider(createMetrics()).getMeter('scope');
    expect(bindCounter(meter.createCounter('c'), { 'bad key!': 'x' })).toBeUndefined();
  });
});
