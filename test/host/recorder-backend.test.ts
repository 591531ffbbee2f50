import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Recorder, recorderBackend } from '../../src/backends/recorder/index.js';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { DEFAULT_LIMITS, GuestSession } from '../../src/host/guest-session.js';
import { createMetrics } from '../../src/index.js';
import { createMetrics as createNodeMetrics } from '../../src/node/index.js';
import { componentDir } from '../support/components.js';

function pair() {
  const host = createMetrics();
  const rejected = host.counter('rejected_total', { help: 'r', labelNames: ['component', 'reason'] as const });
  const session = new GuestSession({
    metrics: host,
    component: 'g',
    instance: '1',
    componentLabel: 'component',
    instanceLabel: undefined,
    limits: DEFAULT_LIMITS,
    rejected,
  });
  const backend = recorderBackend(session.imports() as unknown as Recorder);
  return { host, backend, guest: createMetrics({ backend }) };
}

const strip = (labels: readonly (readonly [string, string])[]) => labels.filter(([k]) => k !== 'component');

// The sketch's bound is relative for normal floats; below the smallest normal (2^-1022) its
// buckets are linear, so subnormal observations carry an absolute error up to 2^-1022.
const SUBNORMAL_ERROR = 2 ** -1022;

describe('the recorder backend (guest side) against the host', () => {
  it('delivers exactly what the guest recorded, over any sequence of operations and flushes', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('counter' as const), label: fc.constantFrom('a', 'b'), value: fc.integer({ min: 0, max: 1000 }) }),
      fc.record({ kind: fc.constant('gauge' as const), label: fc.constantFrom('a', 'b'), value: fc.integer({ min: -1000, max: 1000 }) }),
      fc.record({
        kind: fc.constant('histogram' as const),
        label: fc.constantFrom('a', 'b'),
        value: fc.double({ min: 0, max: 20, noNaN: true }),
      }),
      fc.record({
        kind: fc.constant('summary' as const),
        label: fc.constantFrom('a', 'b'),
        value: fc.double({ min: 0, max: 1e6, noNaN: true }),
      }),
      fc.record({ kind: fc.constant('flush' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const { host, backend, guest } = pair();
        const labelNames = ['l'] as const;
        const c = guest.counter('c_total', { help: 'c', labelNames });
        const g = guest.gauge('g', { help: 'g', labelNames });
        const h = guest.histogram('h', { help: 'h', labelNames, buckets: [1, 5, 10] });
        const s = guest.summary('s', { help: 's', labelNames, quantiles: [0.5, 0.99] });
        for (const o of ops) {
          if (o.kind === 'flush') backend.flush();
          else if (o.kind === 'counter') c.inc({ l: o.label }, o.value);
          else if (o.kind === 'gauge') g.set({ l: o.label }, o.value);
          else if (o.kind === 'histogram') h.observe({ l: o.label }, o.value);
          else s.observe({ l: o.label }, o.value);
        }
        backend.flush();
        const guestFamilies = (await guest.registry.collect()).filter((f) => !f.name.startsWith('omnimeter_'));
        const hostFamilies = await host.registry.collect();
        for (const gf of guestFamilies) {
          const hf = hostFamilies.find((f) => f.name === gf.name)!;
          for (const gs of gf.series) {
            const hs = hf.series.find((x) => JSON.stringify(strip(x.labels)) === JSON.stringify(gs.labels))!;
            expect(hs, `${gf.name} ${JSON.stringify(gs.labels)}`).toBeDefined();
            expect([hs.value, hs.count, hs.bucketCounts]).toEqual([gs.value, gs.count, gs.bucketCounts]);
            // Guest and host add the same numbers in a different order (observations vs flushed deltas): compare relatively.
            if (gs.sum !== undefined) expect(Math.abs(hs.sum! - gs.sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(gs.sum)));
            gs.quantileValues?.forEach((q, i) =>
              Number.isNaN(q)
                ? expect(hs.quantileValues![i]).toBeNaN()
                : expect(Math.abs(hs.quantileValues![i]! - q)).toBeLessThanOrEqual(q * 0.0079 + SUBNORMAL_ERROR),
            );
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('the TypeScript example component (componentize-js)', () => {
  it('records through the omnimeter API inside the component and reaches the host exactly', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    const ts = host.load(readComponent(await componentDir('ts-tool'))).instantiate('t');
    for (let i = 1; i <= 3; i++) expect(ts.call('handle', '/a', 100)).toBe(i);
    expect(ts.call('handle', '/b', 3000)).toBe(4);
    const families = await metrics.registry.collect();
    const read = (name: string, route?: string) =>
      families
        .find((f) => f.name === name)!
        .series.find((s) => route === undefined || s.labels.some(([k, v]) => k === 'route' && v === route))!;
    expect(read('ts_tool_requests', '/a').value).toBe(3);
    expect(read('ts_tool_requests', '/b').value).toBe(1);
    expect(read('ts_tool_payload_bytes').bucketCounts).toEqual([0, 3, 0, 1, 0]);
    expect(read('ts_tool_payload_summary_bytes').count).toBe(4);
    expect(read('ts_tool_payload_summary_bytes').labels).toContainEqual(['component', 'ts-tool']);
  }, 60_000);
});

describe("createMetrics({ backend: 'wasm-component' })", () => {
  it('stores and aggregates through the engine component, exposing the same text', async () => {
    await componentDir('engine');
    const metrics = createNodeMetrics({ backend: 'wasm-component', exporters: [] }, {});
    const calls = metrics.counter('calls_total', { help: 'c', labelNames: ['tool'] as const });
    calls.inc({ tool: 'a' }, 2);
    calls.labels({ tool: 'b' }).inc();
    const h = metrics.histogram('size_bytes', { help: 's', buckets: [10, 100], unit: 'bytes' });
    h.observe(5);
    h.observe(50);
    const text = await metrics.registry.expose('prometheus');
    expect(text).toContain('calls_total{tool="a"} 2');
    expect(text).toContain('calls_total{tool="b"} 1');
    expect(text).toContain('size_bytes_bucket{le="100.0"} 2');
    await metrics.shutdown();
  }, 60_000);
});
