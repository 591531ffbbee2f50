/**
 * Snappy block-format compression (the format Prometheus remote write uses,
 * not the framed stream format), written here because it is a few dozen
 * lines and the packaged encoders are native addons. Greedy matching with a
 * hash of 4-byte sequences inside 64 KiB blocks, as the reference encoder
 * does: copies never reach back past their block, so every offset fits the
 * 2-byte copy element.
 */

const BLOCK = 1 << 16;
const HASH_BITS = 14;
const MIN_MATCH = 4;

function varint(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function literal(out: number[], input: Uint8Array, from: number, to: number): void {
  const n = to - from - 1;
  if (n < 0) return;
  if (n < 60) out.push(n << 2);
  else if (n < 1 << 8) out.push(60 << 2, n);
  else if (n < 1 << 16) out.push(61 << 2, n & 0xff, n >> 8);
  else out.push(62 << 2, n & 0xff, (n >> 8) & 0xff, n >> 16);
  for (let i = from; i < to; i++) out.push(input[i]!);
}

/** Copies of up to 64 bytes from `offset` back (the 2-byte-offset element). */
function copy(out: number[], offset: number, length: number): void {
  while (length > 0) {
    const n = Math.min(length, 64);
    out.push(((n - 1) << 2) | 2, offset & 0xff, offset >> 8);
    length -= n;
  }
}

const read32 = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
const hash = (v: number) => Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);

function compressBlock(out: number[], input: Uint8Array, start: number, end: number, table: Int32Array): void {
  table.fill(-1);
  let pending = start;
  let i = start;
  while (i + MIN_MATCH <= end) {
    const v = read32(input, i);
    const h = hash(v);
    const candidate = table[h]!;
    table[h] = i;
    if (candidate < 0 || read32(input, candidate) !== v) {
      i++;
      continue;
    }
    let length = MIN_MATCH;
    while (i + length < end && input[candidate + length] === input[i + length]) length++;
    literal(out, input, pending, i);
    copy(out, i - candidate, length);
    i += length;
    pending = i;
  }
  literal(out, input, pending, end);
}

export function snappyCompress(input: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  varint(out, input.length);
  const table = new Int32Array(1 << HASH_BITS);
  for (let start = 0; start < input.length; start += BLOCK) {
    compressBlock(out, input, start, Math.min(start + BLOCK, input.length), table);
  }
  return Uint8Array.from(out);
}
