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
import { writeSparseBuckets } from './prometheus-protobuf.js';
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

/** The same labels as sampleLabels, written as `Label` messages in order without building the list. */
function writeLabels(w: Writer, base: readonly Label[], name: string, extra: Label | undefined): void {
  const skip = extra?.[0];
  const e = extra !== undefined && extra[1] !== '' ? extra : undefined;
  let nameDue = true;
  let extraDue = e !== undefined;
  let n = 0;
  for (;;) {
    while (n < base.length && base[n]![0] === skip) n++;
    const next = n < base.length ? base[n]![0] : undefined;
    if (nameDue && (!extraDue || '__name__' < e![0]) && (next === undefined || '__name__' < next)) {
      w.pair(1, '__name__', name);
      nameDue = false;
    } else if (extraDue && (next === undefined || e![0] < next)) {
      w.pair(1, e![0], e![1]);
      extraDue = false;
    } else if (next === undefined) return;
    else w.pair(1, next, base[n++]![1]);
  }
}

/** One sample of a series: its labels (the sorted base plus name and extra), and a value or a native histogram. */
type SampleSink = (base: readonly Label[], name: string, value: number, extra?: Label, native?: NativeHistogramPoint) => void;

function familySeries(family: FamilySnapshot, series: SeriesSnapshot, external: readonly Label[], sample: SampleSink): void {
  const { name } = prometheusNaming(family.name, family.unit, family.type, family.additive);
  // Sorted once per series; each sample adds its name (and le or quantile).
  const base = baseLabels(exposedLabels(series.labels), external);
  switch (family.type) {
    case 'counter':
      sample(base, `${name}_total`, series.value ?? 0);
      return;
    case 'gauge':
      sample(base, name, series.value ?? 0);
      return;
    case 'histogram': {
      // Native unless merged classic data reached the series (guests, /ingest, workers): then the native buckets miss it.
      const native = series.native && series.native.count === series.count ? series.native : undefined;
      if (native) {
        sample(base, name, Number.NaN, undefined, native);
        if (!family.native?.classic) return;
      }
      const bounds = family.buckets ?? [];
      let cumulative = 0;
      const counts = series.bucketCounts ?? [];
      for (let i = 0; i < counts.length; i++) {
        cumulative += counts[i]!;
        sample(base, `${name}_bucket`, cumulative, ['le', canonicalFloat(bounds[i] ?? Infinity)]);
      }
      break;
    }
    case 'summary':
      (family.quantiles ?? []).forEach((q, i) => sample(base, name, series.quantileValues?.[i] ?? NaN, ['quantile', canonicalFloat(q)]));
      break;
  }
  sample(base, `${name}_count`, series.count ?? 0);
  sample(base, `${name}_sum`, series.sum ?? 0);
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
  writeSparseBuckets(w, 8, n.negative);
  writeSparseBuckets(w, 11, n.positive);
  w.int64(15, timeMs);
}

/** The series of one collection, in the order the families and their series came. */
export function toRemoteSeries(families: readonly FamilySnapshot[], options: RemoteWriteOptions = {}): RemoteSeries[] {
  const external = Object.entries(options.externalLabels ?? {});
  const out: RemoteSeries[] = [];
  const sample: SampleSink = (base, name, value, extra, native) =>
    out.push({ labels: sampleLabels(base, name, extra), value, ...(native ? { histogram: native } : {}) });
  for (const family of families) for (const series of family.series) familySeries(family, series, external, sample);
  return out;
}

/** A snappy-less `WriteRequest`: every series with one sample at `timeMs`, and the families' metadata. */
export function encodeWriteRequest(
  families: readonly FamilySnapshot[],
  timeMs: number,
  options: RemoteWriteOptions = {},
): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  const external = Object.entries(options.externalLabels ?? {});
  // Written as they come: no list of samples or label arrays in between.
  const sample: SampleSink = (base, name, value, extra, native) => {
    const series = w.open(1);
    writeLabels(w, base, name, extra);
    if (native) {
      const h = w.open(4);
      histogram(w, native, timeMs);
      w.close(h);
    } else {
      const s = w.open(2);
      w.double(1, value, true);
      w.int64(2, timeMs);
      w.close(s);
    }
    w.close(series);
  };
  for (const family of families) for (const series of family.series) familySeries(family, series, external, sample);
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
