/**
 * Prometheus remote write 1.0: snapshots as a `prometheus.WriteRequest`
 * (prompb/remote.proto, types.proto), encoded by hand like the OTLP
 * request. Each family becomes the series a scrape of the 0.0.4 exposition
 * would produce (`_total`, `_bucket{le}`, `_sum`, `_count`, `{quantile}`),
 * named by the same translation, so PromQL sees the same series either way.
 * The specification's rules are kept: `__name__` among the labels, labels
 * sorted by name, no empty label values.
 *
 * A native histogram family (`histogram(name, { native })`) is sent as a
 * native histogram sample (`TimeSeries.histograms`, prompb.Histogram: the
 * same spans and deltas as the protobuf exposition) under the family's
 * name, and its classic series only when it has explicit `buckets`, as the
 * protobuf exposition does. Other families are unchanged.
 */
import type { FamilySnapshot, MetricType, NativeHistogramPoint, SeriesSnapshot } from '../api/snapshot.js';
import { prometheusNaming } from './prometheus-names.js';
import { spansAndDeltas } from './prometheus-protobuf.js';
import { VARINT, Writer } from './protobuf-writer.js';
import { canonicalFloat, exposedLabels } from './text.js';

export type Label = readonly [name: string, value: string];

export interface RemoteSeries {
  readonly labels: readonly Label[];
  readonly value: number;
  /** A native histogram sample instead of `value`. */
  readonly histogram?: NativeHistogramPoint;
}

export interface RemoteWriteOptions {
  /** Labels added to every series (as Prometheus `external_labels`); a series' own label of the same name wins. */
  readonly externalLabels?: Readonly<Record<string, string>>;
}

/** MetricMetadata.MetricType in types.proto. */
const METADATA_TYPE: Readonly<Record<MetricType, number>> = { counter: 1, gauge: 2, histogram: 3, summary: 5 };

const byName = (a: Label, b: Label) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** A series' labels without `__name__`: external ones, then its own (which win), empty values dropped, sorted by name. */
function baseLabels(own: readonly Label[], external: readonly Label[]): Label[] {
  let merged: Label[];
  if (external.length === 0) merged = own.slice();
  else {
    const labels = new Map<string, string>(external);
    for (const [k, v] of own) labels.set(k, v);
    merged = [...labels];
  }
  return merged.filter(([k, v]) => v !== '' && k !== '__name__').sort(byName);
}

/** Inserts `label` into a list sorted by name, keeping it sorted. */
function insert(sorted: Label[], label: Label): void {
  let i = sorted.length;
  sorted.push(label);
  while (i > 0 && sorted[i - 1]![0] > label[0]) {
    sorted[i] = sorted[i - 1]!;
    i--;
  }
  sorted[i] = label;
}

/** One sample's labels: the series' sorted base with `__name__` and `extra` (`le`, `quantile`: it replaces a label of its name). */
function sampleLabels(base: readonly Label[], name: string, extra?: Label): Label[] {
  const labels = extra ? base.filter(([k]) => k !== extra[0]) : base.slice();
  if (extra && extra[1] !== '') insert(labels, extra);
  insert(labels, ['__name__', name]);
  return labels;
}

function familySeries(family: FamilySnapshot, series: SeriesSnapshot, external: readonly Label[], out: RemoteSeries[]): void {
  const { name } = prometheusNaming(family.name, family.unit, family.type, family.additive);
  // Sorted once per series; each sample adds its name (and le or quantile).
  const base = baseLabels(exposedLabels(series.labels), external);
  const push = (sample: string, value: number, extra?: Label) => out.push({ labels: sampleLabels(base, sample, extra), value });
  switch (family.type) {
    case 'counter':
      push(`${name}_total`, series.value ?? 0);
      return;
    case 'gauge':
      push(name, series.value ?? 0);
      return;
    case 'histogram': {
      // Native unless merged classic data reached the series (guests, /ingest, workers): then the native buckets miss it.
      const native = series.native && series.native.count === series.count ? series.native : undefined;
      if (native) {
        out.push({ labels: sampleLabels(base, name), value: Number.NaN, histogram: native });
        if (!family.native?.classic) return;
      }
      const bounds = family.buckets ?? [];
      let cumulative = 0;
      (series.bucketCounts ?? []).forEach((count, i) => {
        cumulative += count;
        push(`${name}_bucket`, cumulative, ['le', canonicalFloat(bounds[i] ?? Infinity)]);
      });
      break;
    }
    case 'summary':
      (family.quantiles ?? []).forEach((q, i) => push(name, series.quantileValues?.[i] ?? NaN, ['quantile', canonicalFloat(q)]));
      break;
  }
  push(`${name}_count`, series.count ?? 0);
  push(`${name}_sum`, series.sum ?? 0);
}

function buckets(w: Writer, spanField: number, list: NativeHistogramPoint['positive']): void {
  const { spans, deltas } = spansAndDeltas(list);
  for (const [offset, length] of spans) {
    w.message(spanField, (s) => {
      s.sint(1, offset);
      s.uint(2, length);
    });
  }
  w.packedVarint(spanField + 1, deltas, true);
}

/**
 * prompb.Histogram (types.proto) as an integer histogram: count_int,
 * zero_count_int, delta-encoded bucket counts. Native counts are whole
 * numbers (API observations, sampled ones weighted by an integer). count is
 * a oneof: written even at 0, so the receiver knows which kind it has.
 */
function histogram(w: Writer, n: NativeHistogramPoint, timeMs: number): void {
  w.tag(1, VARINT);
  w.varint(n.count);
  w.double(3, n.sum);
  w.sint(4, n.schema);
  w.double(5, n.zeroThreshold);
  w.uint(6, n.zeroCount);
  buckets(w, 8, n.negative);
  buckets(w, 11, n.positive);
  w.int64(15, timeMs);
}

/** The series of one collection, in the order the families and their series came. */
export function toRemoteSeries(families: readonly FamilySnapshot[], options: RemoteWriteOptions = {}): RemoteSeries[] {
  const external = Object.entries(options.externalLabels ?? {});
  const out: RemoteSeries[] = [];
  for (const family of families) for (const series of family.series) familySeries(family, series, external, out);
  return out;
}

/** A snappy-less `WriteRequest`: every series with one sample at `timeMs`, and the families' metadata. */
export function encodeWriteRequest(
  families: readonly FamilySnapshot[],
  timeMs: number,
  options: RemoteWriteOptions = {},
): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  for (const series of toRemoteSeries(families, options)) {
    w.message(1, (ts) => {
      for (const [name, value] of series.labels) {
        ts.message(1, (l) => {
          l.string(1, name);
          l.string(2, value);
        });
      }
      if (series.histogram) ts.message(4, (h) => histogram(h, series.histogram!, timeMs));
      else {
        ts.message(2, (s) => {
          s.double(1, series.value, true);
          s.int64(2, timeMs);
        });
      }
    });
  }
  for (const family of families) {
    const naming = prometheusNaming(family.name, family.unit, family.type, family.additive);
    w.message(3, (m) => {
      m.uint(1, METADATA_TYPE[family.type]);
      m.string(2, family.type === 'counter' ? `${naming.name}_total` : naming.name);
      m.string(4, family.help);
      m.string(5, naming.unit);
    });
  }
  return w.finish();
}
