/**
 * The Prometheus protobuf exposition: a stream of length-delimited
 * `io.prometheus.client.MetricFamily` messages (prometheus/client_model's
 * metrics.proto). It is the only scrape format that carries native histograms, and
 * Prometheus asks for it first in `Accept` when native histograms are on.
 * Names and labels are translated as in the text formats (prometheus-names.ts).
 */
import type { FamilySnapshot, NativeHistogramPoint, SeriesSnapshot } from '../api/snapshot.js';
import { prometheusNaming } from './prometheus-names.js';
import { Writer } from './protobuf-writer.js';
import { exposedLabels } from './text.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

// metrics.proto: MetricType
const TYPE = { counter: 0, gauge: 1, summary: 2, histogram: 4 } as const;

/**
 * Spans (offset from the previous span's end, length) and count deltas of
 * sorted sparse buckets: the layout both client_model's Histogram and remote
 * write's prompb.Histogram use.
 */
function spansAndDeltas(buckets: readonly (readonly [number, number])[]) {
  const spans: [offset: number, length: number][] = [];
  const deltas: number[] = [];
  let next = 0;
  let previous = 0;
  for (const [index, count] of buckets) {
    const last = spans[spans.length - 1];
    if (last && index === next) last[1]++;
    else spans.push([spans.length === 0 ? index : index - next, 1]);
    next = index + 1;
    deltas.push(count - previous);
    previous = count;
  }
  return { spans, deltas };
}

/**
 * Sparse buckets as BucketSpans (offset, length) in `spanField` and their
 * delta-encoded counts in `spanField + 1`: client_model's Histogram and
 * remote write's prompb.Histogram number their span and delta fields alike.
 */
export function writeSparseBuckets(w: Writer, spanField: number, buckets: readonly (readonly [number, number])[]): void {
  const { spans, deltas } = spansAndDeltas(buckets);
  for (const [offset, length] of spans) {
    w.message(spanField, (s) => {
      s.sint(1, offset);
      s.uint(2, length);
    });
  }
  w.packedVarint(spanField + 1, deltas, true);
}

function nativeFields(w: Writer, n: NativeHistogramPoint): void {
  w.sint(5, n.schema);
  w.double(6, n.zeroThreshold);
  w.uint(7, n.zeroCount);
  writeSparseBuckets(w, 9, n.negative);
  writeSparseBuckets(w, 12, n.positive);
  // An empty histogram with a zero threshold of 0 would read as classic: an empty span marks it native.
  if (n.zeroThreshold === 0 && n.zeroCount === 0 && n.positive.length === 0 && n.negative.length === 0) {
    w.message(12, () => {});
  }
}

function histogram(w: Writer, family: FamilySnapshot, series: SeriesSnapshot): void {
  // A series that also received merged classic data (guests, /ingest) has
  // observations the native buckets never saw: it is exposed classic.
  const native = series.native && series.native.count === series.count ? series.native : undefined;
  w.uint(1, native ? native.count : (series.count ?? 0));
  w.double(2, native ? native.sum : (series.sum ?? 0));
  const bounds = family.buckets ?? [];
  if (!native || family.native?.classic) {
    const counts = series.bucketCounts ?? [];
    let cumulative = 0;
    bounds.forEach((bound, i) => {
      cumulative += counts[i] ?? 0;
      w.message(3, (b) => {
        b.uint(1, cumulative);
        b.double(2, bound, true);
      });
    });
  }
  if (native) nativeFields(w, native);
}

function metric(w: Writer, family: FamilySnapshot, series: SeriesSnapshot): void {
  for (const [name, value] of exposedLabels(series.labels)) {
    w.message(1, (l) => {
      l.string(1, name);
      l.string(2, value);
    });
  }
  switch (family.type) {
    case 'gauge':
      w.message(2, (g) => g.double(1, series.value ?? 0));
      break;
    case 'counter':
      w.message(3, (c) => c.double(1, series.value ?? 0));
      break;
    case 'summary':
      w.message(4, (s) => {
        s.uint(1, series.count ?? 0);
        s.double(2, series.sum ?? 0);
        (family.quantiles ?? []).forEach((q, i) => {
          s.message(3, (x) => {
            x.double(1, q, true);
            x.double(2, series.quantileValues?.[i] ?? Number.NaN, true);
          });
        });
      });
      break;
    case 'histogram':
      w.message(7, (h) => histogram(h, family, series));
      break;
  }
}

/** One family as a length-prefixed MetricFamily; families without series are left out, as client_golang does. */
export function encodeMetricFamily(family: FamilySnapshot): Uint8Array {
  if (family.series.length === 0) return new Uint8Array(0);
  const naming = prometheusNaming(family.name, family.unit, family.type, family.additive);
  const w = new Writer();
  w.string(1, family.type === 'counter' ? `${naming.name}_total` : naming.name);
  w.string(2, family.help);
  w.uint(3, TYPE[family.type]);
  for (const series of family.series) w.message(4, (m) => metric(m, family, series));
  const framed = new Writer();
  framed.bytes(0, w.finish());
  // bytes() wrote tag 0 (one byte) then the length and the body: the tag is not part of the framing.
  return framed.finish().subarray(1);
}

/** The whole exposition: delimited MetricFamily messages, one per family. */
export function encodeProtobufExposition(families: Iterable<FamilySnapshot>): Uint8Array {
  const parts = [...families].map(encodeMetricFamily);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
