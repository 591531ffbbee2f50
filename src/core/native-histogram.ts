/**
 * Native histograms: exponential buckets as Prometheus native histograms and
 * OpenTelemetry exponential histograms define them. At schema `s` the bucket
 * with index `i` holds values in (2^((i-1)/2^s), 2^(i/2^s)]; values whose
 * magnitude is at most the zero threshold go to the zero bucket, negative
 * values to the negative buckets by magnitude. When the buckets in use would
 * span more than `maxBuckets` (both signs together) the schema goes down by
 * one (two neighbours merge), so memory stays bounded whatever the data: each
 * sign is one dense window of counts (OpenTelemetry's SDK bounds the span the
 * same way; client_golang counts occupied buckets instead, which needs a map).
 * Observing is then an index computed from the double's bits and an add.
 *
 * The buckets live next to the backend's cell (NativeHistogramCell wraps it):
 * every backend gets them for observations made through the API. Data merged
 * through the merge port (guests, /ingest, cluster workers) carries classic
 * buckets only and reaches the classic series, not the native one.
 */
import type { HistogramCell } from '../api/backend.js';
import type { CellReading } from '../api/backend.js';
import type { NativeHistogramPoint, NativeHistogramSpec } from '../api/snapshot.js';

export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
/** client_golang's DefNativeHistogramZeroThreshold: 2^-128. */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

const LOW = 1 - HIGH;

/** The lower bounds, within [0.5, 1), of the 2^schema sub-buckets of one power of two, per schema 1-8. */
const FRACTION_BOUNDS: readonly Float64Array[] = Array.from({ length: MAX_SCHEMA + 1 }, (_, schema) => {
  const n = 2 ** schema;
  return Float64Array.from({ length: n }, (_, j) => 2 ** (j / n) / 2);
});

/**
 * The top mantissa bits of a value pick a cell of [0.5, 1); per schema, the
 * first sub-bucket whose bound is at or above the cell's start. Cells
 * (2^-11 wide) are narrower than any sub-bucket at schema 8 (> 2^-10), so the
 * answer is that sub-bucket or the next: one comparison instead of a search.
 */
const CELL_BITS = 10;
const FIRST_BOUND_OF_CELL: readonly Uint16Array[] = FRACTION_BOUNDS.map((bounds) =>
  Uint16Array.from({ length: 1 << CELL_BITS }, (_, cell) => {
    const start = 0.5 * (1 + cell / (1 << CELL_BITS));
    let j = 0;
    while (j < bounds.length && bounds[j]! < start) j++;
    return j;
  }),
);

/**
 * The index of the bucket holding magnitude `value` (> 0, finite) at
 * `schema`, from the bits of the double (C's frexp: value = frac * 2^exp,
 * frac in [0.5, 1)), exactly as client_golang computes it.
 */
export function bucketIndex(value: number, schema: number): number {
  F64[0] = value;
  let hi = U32[HIGH]!;
  let biased = (hi >>> 20) & 0x7ff;
  let shift = 0;
  if (biased === 0) {
    // Subnormal: scale into the normal range first.
    F64[0] = value * 2 ** 64;
    hi = U32[HIGH]!;
    biased = (hi >>> 20) & 0x7ff;
    shift = 64;
  }
  const exp = biased - 1022 - shift;
  if (schema > 0) {
    const bounds = FRACTION_BOUNDS[schema]!;
    U32[HIGH] = (hi & 0x800fffff) | (1022 << 20);
    const frac = F64[0]!;
    // First j with bounds[j] >= frac: values on a boundary belong below it (upper bounds are inclusive).
    let j = FIRST_BOUND_OF_CELL[schema]![(hi >>> (20 - CELL_BITS)) & ((1 << CELL_BITS) - 1)]!;
    if (j < bounds.length && bounds[j]! < frac) j++;
    return j + (exp - 1) * bounds.length;
  }
  // A zero mantissa (frac 0.5) is an exact power of two: the upper bound of the bucket below.
  const key = (hi & 0xfffff) === 0 && U32[LOW] === 0 ? exp - 1 : exp;
  const offset = (1 << -schema) - 1;
  return (key + offset) >> -schema;
}

/** The upper bound of bucket `index` at `schema`. */
export function bucketUpperBound(index: number, schema: number): number {
  return 2 ** (index / 2 ** schema);
}

/**
 * One sign's bucket counts in a dense window: `counts[k]` is bucket
 * `base + k`; buckets `first`..`last` are the span in use (empty when
 * first > last). An observation inside the span is one array add.
 */
class Window {
  counts = new Float64Array(8);
  base = 0;
  first = 0;
  last = -1;

  get span(): number {
    return this.first > this.last ? 0 : this.last - this.first + 1;
  }

  /** The span if bucket `index` were added. */
  spanWith(index: number): number {
    return this.first > this.last ? 1 : Math.max(this.last, index) - Math.min(this.first, index) + 1;
  }

  /** Adds `weight` to bucket `index`, moving or growing the window when it falls outside. */
  add(index: number, weight: number): void {
    if (this.first > this.last) {
      this.first = this.last = index;
      this.base = index - (this.counts.length >> 1); // room on both sides
    } else if (index < this.first) this.first = index;
    else if (index > this.last) this.last = index;
    if (index < this.base || index >= this.base + this.counts.length) this.fit(index);
    this.counts[index - this.base]! += weight;
  }

  /** A window holding first..last (which now include `index`): twice the span, with room on the side it grows towards. */
  private fit(index: number): void {
    const old = this.counts;
    const oldBase = this.base;
    const span = this.last - this.first + 1;
    const size = Math.max(old.length, 2 * span);
    this.counts = new Float64Array(size);
    this.base = index <= this.first ? this.last - size + 1 : this.first;
    // What the old window held (its occupied part lies within first..last).
    const from = Math.max(oldBase, this.base);
    const to = Math.min(oldBase + old.length, this.base + size);
    if (from < to) this.counts.set(old.subarray(from - oldBase, to - oldBase), from - this.base);
  }

  /** Scale reduction by one: bucket i becomes bucket ceil(i/2) of the schema below. */
  halve(): void {
    if (this.first > this.last) return;
    const old = this.counts;
    const oldBase = this.base;
    const first = (this.first + 1) >> 1;
    const last = (this.last + 1) >> 1;
    this.counts = new Float64Array(old.length);
    this.base = first - ((old.length - (last - first + 1)) >> 1);
    for (let i = this.first; i <= this.last; i++) {
      const c = old[i - oldBase]!;
      if (c !== 0) this.counts[((i + 1) >> 1) - this.base]! += c;
    }
    this.first = first;
    this.last = last;
  }

  /** Occupied buckets, ascending: [index, count]. */
  read(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = this.first; i <= this.last; i++) {
      const c = this.counts[i - this.base]!;
      if (c !== 0) out.push([i, c]);
    }
    return out;
  }
}

/** One series' exponential buckets. */
export class NativeBuckets {
  schema: number;
  zeroCount = 0;
  count = 0;
  sum = 0;
  private readonly positive = new Window();
  private readonly negative = new Window();

  constructor(private readonly spec: NativeHistogramSpec) {
    this.schema = spec.schema;
  }

  observe(value: number, weight: number): void {
    this.count += weight;
    this.sum += value * weight;
    const magnitude = Math.abs(value);
    if (magnitude <= this.spec.zeroThreshold) {
      this.zeroCount += weight;
      return;
    }
    const window = value > 0 ? this.positive : this.negative;
    const index = bucketIndex(magnitude, this.schema);
    // The hot path: inside the span already in use.
    if (index >= window.first && index <= window.last) window.counts[index - window.base]! += weight;
    else this.widen(window, index, weight);
  }

  /**
   * A bucket outside the span: scale reduction first, while the two signs'
   * spans together would exceed maxBuckets (so a far outlier never grows the
   * window before it shrinks), then the add.
   */
  private widen(window: Window, index: number, weight: number): void {
    const other = window === this.positive ? this.negative : this.positive;
    let i = index;
    while (window.spanWith(i) + other.span > this.spec.maxBuckets && this.schema > MIN_SCHEMA) {
      this.positive.halve();
      this.negative.halve();
      this.schema--;
      i = (i + 1) >> 1;
    }
    window.add(i, weight);
  }

  read(): NativeHistogramPoint {
    return {
      schema: this.schema,
      zeroThreshold: this.spec.zeroThreshold,
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      positive: this.positive.read(),
      negative: this.negative.read(),
    };
  }
}

/** A backend's histogram cell with native buckets beside it. */
export class NativeHistogramCell implements HistogramCell {
  readonly native: NativeBuckets;
  constructor(
    readonly inner: HistogramCell,
    spec: NativeHistogramSpec,
  ) {
    this.native = new NativeBuckets(spec);
  }
  observe(value: number, weight: number): void {
    this.inner.observe(value, weight);
    this.native.observe(value, weight);
  }
  addBucket(index: number, count: number): void {
    this.inner.addBucket(index, count);
  }
  addSum(value: number): void {
    this.inner.addSum(value);
  }
  read(): CellReading {
    return { ...this.inner.read(), native: this.native.read() };
  }
}

/** The backend's own cell behind a possible native wrapper: what the backend gets back on release. */
export function backendCell<C>(cell: C | NativeHistogramCell): C | HistogramCell {
  return cell instanceof NativeHistogramCell ? cell.inner : cell;
}

/** `buckets` at a schema `steps` lower: neighbours merged, as scale reduction does. */
function downscale(buckets: NativeHistogramPoint['positive'], steps: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [i, c] of buckets) {
    let j = i;
    for (let k = 0; k < steps; k++) j = (j + 1) >> 1;
    out.set(j, (out.get(j) ?? 0) + c);
  }
  return out;
}

function subtract(current: NativeHistogramPoint['positive'], previous: Map<number, number>): [number, number][] {
  return current.map(([i, c]) => [i, c - (previous.get(i) ?? 0)] as [number, number]).filter(([, c]) => c !== 0);
}

/**
 * What `current` added since `previous` (delta temporality): the previous
 * reading is brought down to the current schema first; when it
 * cannot be a predecessor (a reset: fewer observations, or a finer schema): `current` whole.
 */
export function nativeDelta(current: NativeHistogramPoint, previous: NativeHistogramPoint | undefined): NativeHistogramPoint {
  if (previous === undefined || previous.count > current.count || previous.schema < current.schema) return current;
  const steps = previous.schema - current.schema;
  return {
    ...current,
    count: current.count - previous.count,
    sum: current.sum - previous.sum,
    zeroCount: current.zeroCount - previous.zeroCount,
    positive: subtract(current.positive, downscale(previous.positive, steps)),
    negative: subtract(current.negative, downscale(previous.negative, steps)),
  };
}
