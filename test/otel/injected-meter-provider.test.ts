/**
 * createMetrics({ meterProvider }): providers are injected, never global.
 * What omnimeter instruments through the OpenTelemetry API with `{ metrics }`
 * records into the injected provider (here the OpenTelemetry SDK's, read by
 * its own reader); without one, into this instance's single bridge.
 */
import { MetricReader, MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/mcp/options.js';
import { createMetrics } from '../../src/node/index.js';

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('createMetrics({ meterProvider })', () => {
  it('is the provider omnimeter/mcp records into when given { metrics }', async () => {
    const reader = new ManualReader();
    const sdk = new SdkMeterProvider({ readers: [reader] });
    const metrics = createMetrics({ meterProvider: sdk });
    expect(metrics.meterProvider).toBe(sdk);
    const provider = resolveOptions({ metrics }).meterProvider!;
    provider.getMeter('test').createCounter('tool.calls').add(2, { 'gen_ai.tool.name': 'search' });

    const { resourceMetrics } = await reader.collect();
    const sums = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === 'tool.calls');
    expect(sums[0]?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ 'gen_ai.tool.name': 'search' }, 2]]);
    // Recorded by the SDK, not by omnimeter's registry.
    expect((await metrics.registry.collect()).some((f) => f.name === 'tool.calls')).toBe(false);
    await metrics.shutdown();
    await sdk.shutdown();
  });

  it('without one, metrics.meterProvider is the instance itself, one bridge for every caller', async () => {
    const metrics = createMetrics();
    const provider = resolveOptions({ metrics }).meterProvider!;
    expect(provider).toBe(metrics.meterProvider);
    provider.getMeter('test').createCounter('tool.calls').add(3);
    const family = (await metrics.registry.collect()).find((f) => f.name === 'tool.calls');
    expect(family?.series.map((s) => s.value)).toEqual([3]);
    await metrics.shutdown();
  });

  it('refuses what is not a MeterProvider, naming the option', () => {
    expect(() => createMetrics({ meterProvider: {} as never })).toThrowError(/meterProvider: expected an OpenTelemetry MeterProvider/);
  });
});
