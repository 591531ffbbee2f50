/**
 * A minimal protobuf writer: the few wire types omnimeter's hand-written
 * encoders need (OTLP, Prometheus remote write, the Prometheus protobuf
 * exposition). Fields at their default value are left out, as proto3 does.
 */
export const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;

/** Protobuf's zigzag mapping of signed integers: 0, -1, 1, -2 … → 0, 1, 2, 3 … */
function zigzag(n: number): bigint {
  const v = BigInt(Math.trunc(n));
  return v >= 0n ? v << 1n : (-v << 1n) - 1n;
}

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  tag(field: number, wire: number): void {
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

  /** int64 (timestamps): negative values as ten-byte two's complement, as protobuf does. */
  int64(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, VARINT);
    this.varint(BigInt(Math.trunc(value)));
  }

  /** sint32/sint64: zigzag-encoded, left out at 0 unless `always`. */
  sint(field: number, value: number, always = false): void {
    if (value === 0 && !always) return;
    this.tag(field, VARINT);
    this.varint(zigzag(value));
  }

  /** Packed repeated varints (uint64), or zigzag sint64 when `signed`. */
  packedVarint(field: number, values: readonly (number | bigint | string)[], signed = false): void {
    if (values.length === 0) return;
    const inner = new Writer();
    for (const v of values) inner.varint(signed ? zigzag(Number(v)) : BigInt(v));
    this.bytes(field, inner.finish());
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
