/**
 * A family's one walk over its series (Family.chunks), which collect() and
 * the text exposition share: both list the same series in the same order
 * (the main table, the open tables, the overflow series, the per-component
 * overflow series), and every table's read is closed after a finished walk
 * and after an exposition abandoned midway (an open read blocks compaction).
 */
import { describe, expect, it } from 'vitest';
import type { Family, FixedLabels } from '../../src/core/families.js';
import { overflowing } from '../../src/core/merge/overflow.js';
import { openSeries } from '../../src/core/open-families.js';
import type { CounterSeries } from '../../src/core/series.js';
import { FamilyRenderer, labelText } from '../../src/exposition/text.js';
import { createMetrics } from '../../src/index.js';

function family() {
  const metrics = createMetrics({ maxSeriesPerMetric: 3000 });
  const c = metrics.counter('c_total', { help: 'h', labelNames: ['a'] });
  for (let i = 0; i < 2000; i++) c.inc({ a: `m${i}` });
  const f = c as unknown as Family<CounterSeries>;
  const fixed: FixedLabels = { key: 'scope', pairs: [['scope', 's']] };
  for (let i = 0; i < 900; i++) openSeries(f, fixed, { k: `o${i}` }).inc(1);
  for (let i = 0; i < 5; i++) openSeries(f, fixed, { q: `p${i}` }).inc(1);
  for (let i = 0; i < 1200; i++) c.inc({ a: `x${i}` }); // the main table's 3,001st label set on: the overflow series
  overflowing(f, [['component', 'one']]).inc(7);
  overflowing(f, [['component', 'two']]).inc(8);
  const inner = c as unknown as { table: Table; openTables: Map<string, { table: Table }> };
  const tables = () => [inner.table, ...[...inner.openTables.values()].map((t) => t.table)];
  return { metrics, family: f, readers: () => tables().map((t) => t.ix.readers) };
}
type Table = { ix: { readers: number } };

describe('the family walk', () => {
  it('gives collect() and the exposition the same series in the same order, every read closed after each', async () => {
    const { metrics, readers } = family();
    const text = await metrics.registry.expose('prometheus');
    const exposed = text
      .split('\n')
      .filter((l) => l.startsWith('c_total'))
      .map((l) => l.slice('c_total'.length, l.lastIndexOf(' ')));
    expect(readers().every((n) => n === 0)).toBe(true);
    const collected = (await metrics.registry.collect()).find((f) => f.name === 'c')!.series;
    expect(readers().every((n) => n === 0)).toBe(true);
    expect(exposed).toEqual(collected.map((s) => `${labelText(s)}}`));
    expect(exposed).toHaveLength(3000 + 905 + 1 + 2);
    expect(exposed[0]).toBe('{a="m0"}');
    expect(exposed[2999]).toBe('{a="x999"}');
    expect(exposed[3000]).toContain('k="o0"');
    expect(exposed[3900]).toContain('q="p0"');
    expect(exposed.slice(-3).map((l) => l.includes('overflow'))).toEqual([true, true, true]);
    expect(exposed.slice(-2).map((l) => l.match(/component="(\w+)"/)?.[1])).toEqual(['one', 'two']);
  });

  it('closes the read of an open table when a render is abandoned inside it', () => {
    const { family: f, readers } = family();
    // The family's own pieces (64 series each), not the registry's parts: those end where a time slice does.
    const pieces = f.renderChunks(new FamilyRenderer(f.head(), 'prometheus'), 64);
    let seen = '';
    while (!seen.includes('k="o0"')) seen += pieces.next().value;
    expect(seen).not.toContain('k="o899"');
    expect(readers()).toEqual([0, 1, 0]);
    pieces.return(undefined);
    expect(readers()).toEqual([0, 0, 0]);
  });
});
