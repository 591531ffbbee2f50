/**
 * Protobuf encoding of the OTLP metrics request, by hand: the handful of
 * messages needed here do not justify a protobuf runtime. Field numbers are
 * those of opentelemetry/proto (metrics/v1, common/v1, resource/v1); tests
 * decode the output with the OpenTelemetry project's generated decoder.
 */
import type {
  AnyValue,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  NumberDataPoint,
  OtlpExemplar,
  OtlpMetric,
  SummaryDataPoint,
} from './otlp.js';

import { VARINT, Writer } from './protobuf-writer.js';

function anyValue(w: Writer, v: AnyValue): void {
  if ('stringValue' in v) w.bytes(1, new TextEncoder().encode(v.stringValue));
  else if ('boolValue' in v) {
    w.varint((2 << 3) | VARINT);
    w.varint(v.boolValue ? 1 : 0);
  } else if ('intValue' in v) {
    w.varint((3 << 3) | VARINT);
    w.varint(BigInt(v.intValue));
  } else w.double(4, v.doubleValue, true);
}

function keyValues(w: Writer, field: number, kvs: readonly KeyValue[]): void {
  for (const kv of kvs) {
    w.message(field, (m) => {
      m.string(1, kv.key);
      m.message(2, (a) => anyValue(a, kv.value));
    });
  }
}

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));

function exemplars(w: Writer, field: number, list: readonly OtlpExemplar[] | undefined): void {
  for (const e of list ?? []) {
    w.message(field, (m) => {
      m.fixed64(2, e.timeUnixNano);
      m.double(3, e.asDouble, true);
      m.bytes(4, hexBytes(e.spanId));
      m.bytes(5, hexBytes(e.traceId));
    });
  }
}

function numberPoint(w: Writer, p: NumberDataPoint): void {
  w.fixed64(2, p.startTimeUnixNano);
  w.fixed64(3, p.timeUnixNano);
  w.double(4, p.asDouble, true);
  exemplars(w, 5, p.exemplars);
  keyValues(w, 7, p.attributes);
}

function histogramPoint(w: Writer, p: HistogramDataPoint): void {
  w.fixed64(2, p.startTimeUnixNano);
  w.fixed64(3, p.timeUnixNano);
  w.fixed64(4, p.count);
  if (p.sum !== undefined) w.double(5, p.sum, true);
  w.packedFixed64(6, p.bucketCounts);
  w.packedDouble(7, p.explicitBounds);
  exemplars(w, 8, p.exemplars);
  keyValues(w, 9, p.attributes);
}

function exponentialBuckets(w: Writer, field: number, b: ExponentialBuckets): void {
  w.message(field, (m) => {
    m.sint(1, b.offset, true);
    m.packedVarint(2, b.bucketCounts);
  });
}

function exponentialPoint(w: Writer, p: ExponentialHistogramDataPoint): void {
  keyValues(w, 1, p.attributes);
  w.fixed64(2, p.startTimeUnixNano);
  w.fixed64(3, p.timeUnixNano);
  w.fixed64(4, p.count);
  w.double(5, p.sum, true);
  w.sint(6, p.scale);
  w.fixed64(7, p.zeroCount);
  exponentialBuckets(w, 8, p.positive);
  exponentialBuckets(w, 9, p.negative);
  w.double(14, p.zeroThreshold);
}

function summaryPoint(w: Writer, p: SummaryDataPoint): void {
  w.fixed64(2, p.startTimeUnixNano);
  w.fixed64(3, p.timeUnixNano);
  w.fixed64(4, p.count);
  w.double(5, p.sum, true);
  for (const q of p.quantileValues) {
    w.message(6, (m) => {
      m.double(1, q.quantile, true);
      m.double(2, q.value, true);
    });
  }
  keyValues(w, 7, p.attributes);
}

function metric(w: Writer, m: OtlpMetric): void {
  w.string(1, m.name);
  w.string(2, m.description);
  w.string(3, m.unit ?? '');
  if (m.gauge) w.message(5, (g) => m.gauge!.dataPoints.forEach((p) => g.message(1, (x) => numberPoint(x, p))));
  if (m.sum) {
    w.message(7, (s) => {
      m.sum!.dataPoints.forEach((p) => s.message(1, (x) => numberPoint(x, p)));
      s.uint(2, m.sum!.aggregationTemporality);
      s.bool(3, m.sum!.isMonotonic);
    });
  }
  if (m.histogram) {
    w.message(9, (h) => {
      m.histogram!.dataPoints.forEach((p) => h.message(1, (x) => histogramPoint(x, p)));
      h.uint(2, m.histogram!.aggregationTemporality);
    });
  }
  if (m.exponentialHistogram) {
    w.message(10, (h) => {
      m.exponentialHistogram!.dataPoints.forEach((p) => h.message(1, (x) => exponentialPoint(x, p)));
      h.uint(2, m.exponentialHistogram!.aggregationTemporality);
    });
  }
  if (m.summary) w.message(11, (s) => m.summary!.dataPoints.forEach((p) => s.message(1, (x) => summaryPoint(x, p))));
}

export function encodeOtlpProtobuf(request: ExportMetricsServiceRequest): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  for (const rm of request.resourceMetrics) {
    w.message(1, (r) => {
      r.message(1, (res) => keyValues(res, 1, rm.resource.attributes));
      for (const sm of rm.scopeMetrics) {
        r.message(2, (s) => {
          s.message(1, (scope) => {
            scope.string(1, sm.scope.name);
            scope.string(2, sm.scope.version);
          });
          for (const m of sm.metrics) s.message(2, (x) => metric(x, m));
          s.string(3, sm.schemaUrl ?? '');
        });
      }
    });
  }
  return w.finish();
}
