/**
 * Open families (OPEN_LABELS, the OpenTelemetry bridge): attribute sets
 * whose keys are not declared up front, one series table per key set under
 * the bridge's fixed pairs. Apart from families.ts so that bundles without
 * the bridge (omnimeter/browser) leave it out; the family keeps the tables
 * (`openTables`), which collection and rendering read.
 */
import type { LabelValue } from '../api/instruments.js';
import { MetricsError } from './errors.js';
import type { Family, FixedLabels } from './families.js';
import { LabelLayout } from './label-layout.js';
import { assertLabelName } from './names.js';
import type { AnySeries } from './series.js';
import { SeriesTable } from './series-table.js';

type AnyLabels = Readonly<Record<string, LabelValue>>;

/**
 * The series for `fixed` pairs plus an attribute set with any keys. Key
 * order does not matter; keys are validated once per key set.
 */
export function openSeries<S extends AnySeries>(family: Family<S>, fixed: FixedLabels, attributes: AnyLabels | undefined): S {
  try {
    const lookup = openLookup(family, fixed, attributes === undefined ? [] : Object.keys(attributes));
    return lookup(attributes ?? {});
  } catch (error) {
    if (!family.ctx.lenient || !(error instanceof MetricsError)) throw error;
    family.ctx.onDrop(family.name, 'invalid_labels');
    return family.discard;
  }
}

/**
 * The lookup for attribute objects with exactly `keys` (any order) under
 * `fixed` pairs: callers that see the same key set again keep it and skip
 * the key-set resolution (the bridge's hot path). Throws for invalid keys.
 */
export function openLookup<S extends AnySeries>(
  family: Family<S>,
  fixed: FixedLabels,
  keys: readonly string[],
): (attributes: AnyLabels) => S {
  const sorted = keys.length > 1 ? [...keys].sort() : keys;
  const signature = `${fixed.key}\u0001${sorted.join('\u0000')}`;
  const table = family.openTables.get(signature)?.table ?? openTable(family, signature, fixed, sorted);
  return sorted.length === 0 ? () => table.unlabelled() : table.get;
}

function openTable<S extends AnySeries>(family: Family<S>, signature: string, fixed: FixedLabels, keys: readonly string[]): SeriesTable<S> {
  const ctx = family.ctx;
  const defaults = ctx.defaultLabels;
  const taken = new Set([...defaults.map(([n]) => n), ...fixed.pairs.map(([n]) => n)]);
  for (const key of keys) {
    assertLabelName(key, family.name, family.descriptor.type);
    if (taken.has(key))
      throw new MetricsError('INVALID_LABEL_NAME', `${family.name}: attribute "${key}" is already a default or scope label`);
  }
  const names = Object.freeze([...keys]);
  const descriptor = Object.freeze({ ...family.descriptor, labelNames: Object.freeze([...taken, ...names]) });
  const fixedValues = [...defaults.map(([, v]) => v), ...fixed.pairs.map(([, v]) => v)];
  const table: SeriesTable<S> = new SeriesTable<S>({
    metric: family.name,
    labelNames: names,
    maxSeries: ctx.maxSeries,
    count: () => family.seriesCount(),
    create: (values) => family.seriesFor(descriptor, [...fixedValues, ...values], values, table),
    createOverflow: () => family.table.sharedOverflow(),
    onOverflow: () => ctx.onOverflow(family.name),
    destroy: (series, reason) => ctx.backend.release(series.cell, reason),
    guard: family,
  });
  family.openTables.set(signature, { table, layout: new LabelLayout([...defaults, ...fixed.pairs], names) });
  return table;
}
