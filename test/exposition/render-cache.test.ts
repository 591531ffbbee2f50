import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LabelLayout } from '../../src/core/label-layout.js';
import { formatValue, render } from '../../src/exposition/text.js';
import { createMetrics } from '../../src/index.js';

// The scrape path caches label text per interned value id and formats small
// integers from a table; both must render exactly what the uncached path
// renders from snapshots (render() of collect(), label text built per series).

describe('number formatting', () => {
  it('formats integers from the table exactly as String(n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 5000 }), (n) => {
        expect(formatValue(n)).toBe(String(n));
      }),
    );
    expect(formatValue(-0)).toBe('0');
    expect(formatValue(1023)).toBe('1023');
    expect(formatValue(1024)).toBe('1024');
  });

  it('formats any double as its shortest round-trip decimal', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(formatValue(x))).toBe(x === 0 ? 0 : x);
        expect(formatValue(x)).toBe(String(x));
      }),
    );
  });
});

/** A label value drawn from a small alphabet with every character exposition escapes, so values repeat across series. */
const labelValue = fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', '\n', 'é', '☃'), maxLength: 3 });

type Op = { kind: 'inc'; a: string; b: string } | { kind: 'remove'; a: string; b: string } | { kind: 'scrape' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('inc' as const), a: labelValue, b: labelValue }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), a: labelValue, b: labelValue }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'scrape' as const }) },
);

describe('label text cached per value id', () => {
  it('renders what snapshots render, while series come and go and value ids are reused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const m = createMetrics({ defaultLabels: { env: 'p"rod' } });
        const c = m.counter('ops_total', { help: 'h', labelNames: ['a', 'b'] });
        const h = m.histogram('lat_seconds', { help: 'h', labelNames: ['a'], buckets: [1, 2] });
        const check = async () => {
          const expected = render(await m.registry.collect(), 'prometheus');
          expect(await m.registry.expose('prometheus')).toBe(expected);
        };
        for (const o of ops) {
          if (o.kind === 'inc') {
            c.inc({ a: o.a, b: o.b }, 2);
            h.observe({ a: o.b }, 1.5);
          } else if (o.kind === 'remove') {
            c.remove({ a: o.a, b: o.b });
            h.remove({ a: o.b });
          } else await check();
        }
        await check();
      }),
      { numRuns: 150 },
    );
  });

  it('never serves the text of a value whose id now belongs to another value', () => {
    const values: (string | undefined)[][] = [['x', 'y']];
    const keys = new Int32Array([0, 1]);
    const table = { interned: [{ values: values[0]! }], ix: { keys, live: 2 } };
    const layout = new LabelLayout([['job', 'j']], ['a']);
    expect(layout.textAt(table, 0)).toBe('{job="j",a="x"');
    expect(layout.textAt(table, 1)).toBe('{job="j",a="y"');
    values[0]![0] = 'z"'; // id 0 freed and taken by a new value
    expect(layout.textAt(table, 0)).toBe('{job="j",a="z\\""');
    expect(layout.text(['z"'])).toBe(layout.textAt(table, 0));
  });

  it('renders values unique per series without keeping their text (ids past the cached range)', () => {
    const n = 5000;
    const values = Array.from({ length: n }, (_, i) => `v${i}`);
    const table = { interned: [{ values }], ix: { keys: Int32Array.from(values.keys()), live: n } };
    const layout = new LabelLayout([], ['id']);
    for (let s = 0; s < n; s++) expect(layout.textAt(table, s)).toBe(`{id="v${s}"`);
    values[4000] = 'w';
    expect(layout.textAt(table, 4000)).toBe('{id="w"');
    const kept = (layout as unknown as { cache: string[][] }).cache[0]!.filter((p) => p !== undefined).length;
    expect(kept).toBe(2 * 1024);
  });
});
