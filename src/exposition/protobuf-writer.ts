/**
 * A minimal protobuf writer: the few wire types omnimeter's hand-written
 * encoders need (OTLP, Prometheus remote write, the Prometheus protobuf
 * exposition). Fields at their default value are left out, as proto3 does.
 *
 * Nested messages and strings are written in place into one buffer: a byte
 * is kept for the length, and the content is moved right afterwards in the
 * rare case the length needs more than one byte. (A writer per nested
 * message cost most of a 10k-series remote-write request in allocations.)
 */
export const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;

const ENCODER = new TextEncoder();

/** Protobuf's zigzag mapping of signed integers: 0, -1, 1, -2 … → 0, 1, 2, 3 … */
function zigzag(n: number): number | bigint {
  const t = Math.trunc(n);
  if (Math.abs(t) < 2 ** 52) return t >= 0 ? t * 2 : -t * 2 - 1;
  const v = BigInt(t);
  return v >= 0n ? v << 1n : (-v << 1n) - 1n;
}

/** Bytes the varint of a length (< 2^32) takes. */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
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
    this.reserve(10);
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
      let v = value;
      while (v >= 0x80) {
        this.buf[this.length++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.length++] = v;
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  /**
   * Starts a nested message written by the calls that follow, until
   * `close(returned position)`: what `message` does, without a closure (for
   * per-sample loops).
   */
  open(field: number): number {
    this.tag(field, LENGTH);
    this.reserve(1);
    return this.length++;
  }

  /** Ends the message `open` started: writes its length, moving it right when the length takes more than a byte. */
  close(at: number): void {
    let size = this.length - at - 1;
    const extra = varintSize(size) - 1;
    if (extra > 0) {
      this.reserve(extra);
      this.buf.copyWithin(at + 1 + extra, at + 1, this.length);
      this.length += extra;
    }
    let p = at;
    while (size >= 0x80) {
      this.buf[p++] = (size & 0x7f) | 0x80;
      size >>>= 7;
    }
    this.buf[p] = size;
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
    const at = this.open(field);
    for (const v of values) this.varint(signed ? zigzag(Number(v)) : typeof v === 'string' ? BigInt(v) : v);
    this.close(at);
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
    const at = this.open(field);
    this.reserve(value.length * 3); // UTF-8's worst case for UTF-16 code units
    const n = value.length;
    let i = 0;
    // ASCII, the common case, byte by byte; the rest by the platform's encoder.
    for (let c = value.charCodeAt(0); i < n && c < 0x80; c = value.charCodeAt(++i)) this.buf[this.length++] = c;
    if (i < n) this.length += ENCODER.encodeInto(value.slice(i), this.buf.subarray(this.length)).written;
    this.close(at);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, LENGTH);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.length);
    this.length += value.length;
  }

  /** A nested message of two strings (fields 1 and 2): a label, a key-value pair. */
  pair(field: number, key: string, value: string): void {
    const at = this.open(field);
    this.string(1, key);
    this.string(2, value);
    this.close(at);
  }

  /** A nested message, written by `write` into this same writer. */
  message(field: number, write: (w: Writer) => void): void {
    const at = this.open(field);
    write(this);
    this.close(at);
  }

  /** Packed repeated 8-byte values, each written by `put`. */
  private packed<T>(field: number, values: readonly T[], put: (view: DataView, at: number, value: T) => void): void {
    if (values.length === 0) return;
    this.tag(field, LENGTH);
    this.varint(values.length * 8);
    this.reserve(values.length * 8);
    for (const v of values) {
      put(this.view, this.length, v);
      this.length += 8;
    }
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
