/**
 * The admission budget charges each pushed series an estimate of what it
 * adds to a scrape. It must be an upper bound, or the budget bounds nothing:
 * checked against real expositions of random pushes, in both formats.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IngestAggregator } from '../../src/host/ingest.js';
import { IngestGate } from '../../src/ingest/gate.js';
import { createMetrics } from '../../src/index.js';

const labelName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_.]{0,12}$/).filter((n) => n !== 'le' && n !== 'quantile' && n !== 'source');
const labelValue = fc.string({ unit: 'binary', maxLength: 40 });
const name = fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/);
const unit = fc.constantFrom('', 's', 'By', '1', 'seconds', '{request}', 'By/s');

const family = fc.record({
  name,
  type: fc.constantFrom('counter', 'gauge', 'histogram'),
  help: fc.string({ unit: 'binary', maxLength: 60 }),
  unit,
  labelNames: fc.uniqueArray(labelName, { maxLength: 4 }),
  buckets: fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), { minLength: 1, maxLength: 12 }),
  series: fc.array(fc.tuple(fc.array(labelValue, { minLength: 4, maxLength: 4 }), fc.double({ min: 0, max: 1e300, noNaN: true })), {
    minLength: 1,
    maxLength: 4,
  }),
});

type GeneratedFamily = typeof family extends fc.Arbitrary<infer T> ? T : never;

function toSnapshot(families: GeneratedFamily[]) {
  return {
    format: 'omnimeter-snapshot',
    version: 1,
    timestamp: 'x',
    timeMs: 1,
    metrics: families.map((f) => {
      const buckets = [...f.buckets].sort((a, b) => a - b);
      return {
        name: f.name,
        type: f.type,
        help: f.help,
        unit: f.unit,
        ...(f.type === 'histogram' ? { buckets } : {}),
        series: f.series.map(([values, v]) => ({
          labels: Object.fromEntries(f.labelNames.map((n, i) => [n, values[i]!])),
          ...(f.type === 'histogram' ? { bucketCounts: [...buckets.map(() => 1), 1], count: buckets.length + 1, sum: v } : { value: v }),
        })),
      };
    }),
  };
}

describe('exposition cost estimate', () => {
  it('is an upper bound of the bytes admitted series add to a scrape, in both formats', async () => {
    // The gate's own gauges and counters change too: compare the other lines only.
    const user = (text: string) =>
      Buffer.byteLength(
        text
          .split('\n')
          .filter((l) => !l.includes('omnimeter_'))
          .join('\n'),
      );
    let admitted = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(family, { maxLength: 5, selector: (f) => f.name }), async (families) => {
        const metrics = createMetrics({ defaultLabels: { service: 'collector' } });
        const merger = new IngestAggregator(metrics, { maxSources: Infinity });
        const gate = new IngestGate({
          metrics,
          merger: { merge: (s, snap) => merger.merge(s, snap), forget: (s) => merger.forget(s) },
          reservedLabels: ['source', 'service'],
          hostLabelBytes: 'source="",'.length + 64 + 'service'.length + 4 + 3 * 'collector'.length,
        });
        const before = { om: user(await metrics.registry.expose('openmetrics')), prom: user(await metrics.registry.expose('prometheus')) };
        const budgetBefore = (await metrics.registry.collect()).find((f) => f.name === 'omnimeter_ingest_exposition_budget_bytes')!
          .series[0]!.value!;
        const answer = gate.accept('a-source-name-of-the-longest-kind-sixty-four-characters-long-xx', JSON.stringify(toSnapshot(families)));
        expect([204, 200, 422]).toContain(answer.status);
        if (answer.status !== 422) admitted++;
        const om = await metrics.registry.expose('openmetrics');
        const prom = await metrics.registry.expose('prometheus');
        const charged =
          (await metrics.registry.collect()).find((f) => f.name === 'omnimeter_ingest_exposition_budget_bytes')!.series[0]!.value! -
          budgetBefore;
        expect(user(om) - before.om).toBeLessThanOrEqual(charged);
        expect(user(prom) - before.prom).toBeLessThanOrEqual(charged);
        gate.close();
      }),
      { numRuns: 300 },
    );
    expect(admitted).toBeGreaterThan(200);
  });
});
