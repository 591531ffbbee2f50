/**
 * Protobuf encoding of the OTLP metrics request, by hand: the handful of
 * messages needed here do not justify a protobuf runtime. Field numbers are
 * those of opentelemetry/proto (metrics/v1, common/v1, resource/v1); tests
 * decode the output with the OpenTelemetry project's generated decoder.
 */
import type {
  AnyValue,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  NumberDataPoint,
  OtlpExemplar,
  OtlpMetric,
  SummaryDataPoint,
} from './otlp.js';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  uint(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, VARINT);
    this.varint(value);
  }

  bool(field: number, value: boolean): void {
    if (!value) return;
    this.tag(field, VARINT);
    this.varint(1);
  }

  fixed64(field: number, decimal: string): void {
    this.tag(field, FIXED64);
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(decimal), true);
    this.length += 8;
  }

  double(field: number, value: number, always = false): void {
    if (value === 0 && !always && !Object.is(value, -0)) return;
    this.tag(field, FIXED64);
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  string(field: number, value: string): void {
    if (value === '') return;
    this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, LENGTH);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.length);
    this.length += value.length;
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  /** Packed repeated 8-byte values, each written by `put`. */
  private packed<T>(field: number, values: readonly T[], put: (view: DataView, at: number, value: T) => void): void {
    if (values.length === 0) return;
    const inner = new Writer();
    inner.reserve(values.length * 8);
    for (const v of values) {
      put(inner.view, inner.length, v);
      inner.length += 8;
    }
    this.bytes(field, inner.finish());
  }

  /** Packed repeated fixed64 (bucket counts, decimal strings). */
  packedFixed64(field: number, values: readonly string[]): void {
    this.packed(field, values, (view, at, v) => view.setBigUint64(at, BigInt(v), true));
  }

  /** Packed repeated double (bucket bounds). */
  packedDouble(field: number, values: readonly number[]): void {
    this.packed(field, values, (view, at, v) => view.setFloat64(at, v, true));
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length) as Uint8Array<ArrayBuffer>;
  }
}

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
