import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellReading } from '../../src/api/backend.js';
import {
  linePrefixes,
  MAX_CACHED_SERIES,
  renderLines,
  SeriesTextCache,
  TextCacheBudget,
  TextCaches,
} from '../../src/exposition/text-cache.js';
import { FamilyRenderer, render } from '../../src/exposition/text.js';
import { createMetrics } from '../../src/index.js';

// Scrapes keep the text of series whose reading has not changed since the
// last scrape (exposition/text-cache.ts). Whatever is recorded, removed,
// reset or re-created in between, expose() must equal rendering a fresh
// collect(): the uncached path, which builds snapshots and renders them.

const labelValue = fc.constantFrom('a', 'b', 'c"', 'é');
type Op = { kind: 'inc' | 'observe' | 'set' | 'noop' | 'remove'; a: string; v: number } | { kind: 'reset' | 'scrape' | 'scrapeBoth' };
const value = fc.constantFrom(0, 1, 2.5, -1, 0.1, 1e21, 1023, 1024); // 1023/1024: the ends of the ready-made small-integer lines
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constantFrom('inc', 'observe', 'set', 'noop') as fc.Arbitrary<'inc'>, a: labelValue, v: value }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), a: labelValue, v: value }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'scrape' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'scrapeBoth' as const }) },
);

describe('series text kept across scrapes', () => {
  it('exposes what a fresh render of collect() renders, in both formats, under random recording, removal and reset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 50 }), async (ops) => {
        const m = createMetrics({ defaultLabels: { env: 'p' }, maxSeriesPerMetric: 3 }); // a fourth label value lands in the overflow series;
        const c = m.counter('ops_total', { help: 'h', labelNames: ['a'] });
        const g = m.gauge('temp', { help: 'h', labelNames: ['a'] });
        const h = m.histogram('lat_seconds', { help: 'h', labelNames: ['a'], buckets: [0, 1, 2] });
        const s = m.summary('size_bytes', { help: 'h', labelNames: ['a'], quantiles: [0.5, 0.9] });
        const plain = m.counter('plain_total', { help: 'h' });
        const signed = m.histogram('signed', { help: 'h', labelNames: ['a'], buckets: [-1, 1] });
        const check = async (format: 'prometheus' | 'openmetrics') => {
          const expected = render(await m.registry.collect(), format);
          expect(await m.registry.expose(format)).toBe(expected);
        };
        for (const o of ops) {
          if (o.kind === 'scrape') await check('prometheus');
          else if (o.kind === 'scrapeBoth') {
            await check('openmetrics');
            await check('prometheus');
          } else if (o.kind === 'reset') {
            c.reset();
            h.reset();
            plain.reset();
          } else if (o.kind === 'remove') {
            c.remove({ a: o.a });
            h.remove({ a: o.a });
            g.remove({ a: o.a });
            s.remove({ a: o.a });
          } else if (o.kind === 'noop') {
            c.inc({ a: o.a }, 0); // creates the series at most: the reading of an existing one is unchanged
          } else if (o.kind === 'inc') {
            if (o.v >= 0) c.inc({ a: o.a }, o.v);
            if (o.v >= 0) plain.inc(o.v);
          } else if (o.kind === 'observe') {
            if (Number.isNaN(o.v)) continue;
            h.observe({ a: o.a }, o.v);
            signed.observe({ a: o.a }, o.v); // OpenMetrics leaves out _count and _sum with negative buckets
            if (o.v >= 0) s.observe({ a: o.a }, o.v); // an empty summary window exposes NaN quantiles: kept text must match too
          } else if (o.kind === 'set') g.set({ a: o.a }, o.v);
        }
        await check('prometheus');
        await check('openmetrics');
      }),
      { numRuns: 150 },
    );
  });

  it('renders from line prefixes what FamilyRenderer.sample renders, for any reading', () => {
    const count = fc.oneof(fc.nat(2100), fc.constantFrom(0, 1023, 1024), fc.double({ noNaN: true, min: 0, max: 1e6 }));
    const number = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1023, 1024, -1));
    const reading = fc.record({
      value: number,
      count,
      sum: number,
      bucketCounts: fc.array(count, { minLength: 4, maxLength: 4 }),
      quantileValues: fc.array(number, { minLength: 2, maxLength: 2 }),
    });
    const specs = [
      { type: 'counter' },
      { type: 'gauge' },
      { type: 'histogram', buckets: [-1, 0.5, 2] },
      { type: 'histogram', buckets: [0.1, 0.5, 2] },
      { type: 'summary', quantiles: [0.5, 0.9] },
    ];
    const families = specs.flatMap((spec) =>
      (['prometheus', 'openmetrics'] as const).map(
        (format) => new FamilyRenderer({ name: 'x', help: 'h', unit: '', series: [], ...spec } as never, format),
      ),
    );
    fc.assert(
      fc.property(reading, fc.constantFrom(undefined, 0, 1_700_000_000_123), fc.constantFrom('', '{a="1"'), (r, createdMs, open) => {
        for (const renderer of families) {
          const expected = renderer.sample(open, r, createdMs, undefined);
          expect(renderLines(renderer, linePrefixes(renderer, open), r, createdMs)).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  // A gauge `x` without labels: an entry accounts 96 B + 16 B and 2 characters for its one line prefix (`x `).
  const renderer = new FamilyRenderer({ name: 'x', type: 'gauge', help: 'h', unit: '', series: [] }, 'prometheus');
  const ENTRY = 96 + 16 + 2;
  const at = (v: number): CellReading => ({ value: v });
  const usedBy = (cache: SeriesTextCache) => (cache as unknown as { used: number }).used;
  const noLabels = { textOf: () => '' };
  const newSeries = () => ({ key: undefined, labelValues: [] });
  const textOf = (cache: SeriesTextCache, s: ReturnType<typeof newSeries>, reading: CellReading, r = renderer) =>
    cache.text(r, s, s, reading, undefined, undefined, noLabels, undefined);

  it('keeps no text for a series that changes between every two scrapes, and keeps it again once it stops', () => {
    const cache = new SeriesTextCache(new TextCacheBudget());
    const series = newSeries();
    const scrape = (v: number) => textOf(cache.begin(), series, at(v));
    expect(scrape(1)).toBe('x 1\n');
    expect(usedBy(cache)).toBe(ENTRY + 4);
    expect(scrape(1)).toBe('x 1\n');
    expect(scrape(2)).toBe('x 2\n'); // changed once: kept
    expect(usedBy(cache)).toBe(ENTRY + 4);
    expect(scrape(3)).toBe('x 3\n'); // changed at two scrapes in a row: not kept
    expect(usedBy(cache)).toBe(ENTRY);
    expect(scrape(3)).toBe('x 3\n'); // unchanged: rendered once more, kept
    expect(usedBy(cache)).toBe(ENTRY + 4);
    expect(scrape(3)).toBe('x 3\n');
    // Series with exemplars are left to the caller.
    expect(cache.text(renderer, series, series, at(3), undefined, {}, noLabels, undefined)).toBeUndefined();
  });

  it('compares bucket counts by value: a backend may hand out the same array, changed in place', () => {
    const cache = new SeriesTextCache(new TextCacheBudget());
    const h = new FamilyRenderer({ name: 'h', type: 'histogram', help: 'h', unit: '', buckets: [1], series: [] }, 'prometheus');
    const buckets = [1, 2];
    const reading = { count: 3, sum: 4, bucketCounts: buckets };
    const series = newSeries();
    const first = textOf(cache.begin(), series, reading, h);
    expect(textOf(cache.begin(), series, reading, h)).toBe(first);
    buckets[1] = 3;
    reading.count = 4;
    expect(textOf(cache.begin(), series, reading, h)).toBe(
      render([{ name: 'h', type: 'histogram', help: 'h', unit: '', buckets: [1], series: [{ labels: [], ...reading }] }], 'prometheus')
        .split('\n')
        .slice(2)
        .join('\n'),
    );
  });

  it('stays within its budget and drops entries of series the last scrape did not visit', () => {
    const budget = new TextCacheBudget(2 * (ENTRY + 4) + 8);
    const cache = new SeriesTextCache(budget);
    const [s1, s2, s3] = [newSeries(), newSeries(), newSeries()];
    cache.begin();
    for (const s of [s1, s2, s3]) expect(textOf(cache, s, at(1))).toBe('x 1\n');
    expect(budget.used).toBe(2 * (ENTRY + 4)); // the third was past the budget: not kept
    cache.begin();
    expect(textOf(cache, s1, at(1))).toBe('x 1\n'); // s2 was removed: this scrape does not visit it
    expect(budget.used).toBe(2 * (ENTRY + 4));
    cache.begin();
    expect(budget.used).toBe(ENTRY + 4);
    cache.clear();
    expect(budget.used).toBe(0);
  });

  it('caches no family larger than MAX_CACHED_SERIES, and frees what it kept for it', async () => {
    const caches = new TextCaches();
    const family = (n: number) => ({ name: 'f', seriesCount: () => n });
    expect(caches.of(family(MAX_CACHED_SERIES), 'prometheus')).toBeDefined();
    expect(caches.of(family(MAX_CACHED_SERIES + 1), 'prometheus')).toBeUndefined();
    const m = createMetrics();
    const c = m.counter('big_total', { help: 'h', labelNames: ['id'] });
    for (let i = 0; i < MAX_CACHED_SERIES; i++) c.inc({ id: String(i) });
    await m.registry.expose();
    c.inc({ id: 'one more' });
    c.inc({ id: '7' });
    expect(await m.registry.expose()).toBe(render(await m.registry.collect(), 'prometheus'));
  });
});
