/**
 * Opt-in parts of the core, installed by the entries that need them rather
 * than imported by the engine, so a bundle without them leaves their code
 * out: the merge port (guests, /ingest, cluster workers: hosts only), native
 * histograms, exemplars, the scrape text cache and series columns. `omnimeter` (Node, WASM hosts) and
 * `omnimeter/host` install what they use on import; `omnimeter/browser`
 * installs none (docs/architecture.md, "Opt-in features").
 *
 * Importing this file pulls in no feature (type imports only).
 */
import type { HistogramCell } from '../api/backend.js';
import type { MergePort } from '../api/merge.js';
import type { NativeHistogramSpec } from '../api/snapshot.js';
import type { TextCaches } from '../exposition/text-cache.js';
import type { ExemplarCounterSeries, ExemplarHistogramSeries } from './exemplars.js';
import type { FamilySource } from './merge/store.js';
import type { SeriesBase, SeriesTable, SeriesTableOptions } from './series-table.js';
import type { ColumnCandidate } from './columns.js';
import { MetricsError } from './errors.js';

/** Native histogram cells: the backend's cell with exponential buckets beside it. */
export interface NativeHistogramFeature {
  /** The `native` option of a histogram; `classic` when the user gave buckets of their own. */
  validate(where: string, value: unknown, classic: boolean): NativeHistogramSpec | undefined;
  wrap(cell: HistogramCell, spec: NativeHistogramSpec): HistogramCell;
  /** The backend's own cell behind a possible wrapper: what the backend gets back on release. */
  unwrap<C>(cell: C): C | HistogramCell;
}

/** The series classes that record the active span's exemplar. */
export interface ExemplarFeature {
  readonly counter: typeof ExemplarCounterSeries;
  readonly histogram: typeof ExemplarHistogramSeries;
}

export interface Features {
  /** A merge port over an engine's families. */
  mergePort?: (families: FamilySource) => MergePort;
  nativeHistograms?: NativeHistogramFeature;
  exemplars?: ExemplarFeature;
  /** The declared table of `family` with its values in columns, where it can have one (core/columns.ts). */
  columnTable?: <S extends SeriesBase>(family: ColumnCandidate, options: SeriesTableOptions<S>) => SeriesTable<S> | undefined;
  /** Text of series unchanged since the last scrape, kept per registry (exposition/text-cache.ts). */
  textCaches?: () => TextCaches;
}

/** What is installed in this module instance; read by engines when they need a feature. */
export const features: Features = {};

/** An option whose feature this bundle leaves out (omnimeter/browser): the error names the import that brings it. */
export function notInBundle(where: string, entry: string): never {
  throw new MetricsError('INVALID_OPTIONS', `${where}: not in this bundle; import '${entry}'`);
}
