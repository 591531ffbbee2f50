/**
 * Installs the core's opt-in recording features (core/features.ts):
 * `omnimeter` and `omnimeter/browser/exporters` call these on import;
 * `omnimeter/browser` does not, which keeps them out of page bundles.
 * The merge port has its own (merge/enable.ts).
 */
import { ExemplarCounterSeries, ExemplarHistogramSeries } from './exemplars.js';
import { features } from './features.js';
import { NativeHistogramCell, backendCell } from './native-histogram.js';
import { validateNative } from './options.js';
import { TextCaches } from '../exposition/text-cache.js';
import { columnTable } from './columns.js';

/** Native histograms (`histogram(name, { native })`). */
export function enableNativeHistograms(): void {
  features.nativeHistograms ??= {
    validate: validateNative,
    wrap: (cell, spec) => new NativeHistogramCell(cell, spec),
    unwrap: backendCell,
  };
}

/** Exemplars (`createMetrics({ exemplars })`). */
export function enableExemplars(): void {
  features.exemplars ??= { counter: ExemplarCounterSeries, histogram: ExemplarHistogramSeries };
}

/** Series text kept across scrapes while unchanged (exposition/text-cache.ts): servers scrape, pages rarely do. */
export function enableTextCache(): void {
  features.textCaches ??= () => new TextCaches();
}

/** Counter, gauge and histogram series as rows of columns instead of objects (core/columns.ts): servers hold many series. */
export function enableValueColumns(): void {
  features.columnTable ??= columnTable;
}
