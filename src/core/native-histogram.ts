/**
 * Native histograms: exponential buckets as Prometheus native histograms and
 * OpenTelemetry exponential histograms define them. At schema `s` the bucket
 * with index `i` holds values in (2^((i-1)/2^s), 2^(i/2^s)]; values whose
 * magnitude is at most the zero threshold go to the zero bucket, negative
 * values to the negative buckets by magnitude. When a series holds more than
 * `maxBuckets` buckets the schema goes down by one (two neighbours merge), as
 * client_golang does, so memory stays bounded whatever the data.
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

/** frexp's results, in module state so the hot path allocates nothing. */
let frac = 0;
let exp = 0;

/** `value` = frac * 2^exp with frac in [0.5, 1), for finite value > 0 (C's frexp). */
function frexp(value: number): void {
  F64[0] = value;
  let biased = (U32[HIGH]! >>> 20) & 0x7ff;
  let shift = 0;
  if (biased === 0) {
    // Subnormal: scale into the normal range first.
    F64[0] = value * 2 ** 64;
    biased = (U32[HIGH]! >>> 20) & 0x7ff;
    shift = 64;
  }
  U32[HIGH] = (U32[HIGH]! & 0x800fffff) | (1022 << 20);
  frac = F64[0]!;
  exp = biased - 1022 - shift;
}

/** The lower bounds, within [0.5, 1), of the 2^schema sub-buckets of one power of two, per schema 1-8. */
const FRACTION_BOUNDS: readonly Float64Array[] = Array.from({ length: MAX_SCHEMA + 1 }, (_, schema) => {
  const n = 2 ** schema;
  return Float64Array.from({ length: n }, (_, j) => 2 ** (j / n) / 2);
});

/** The index of the bucket holding magnitude `value` (> 0, finite) at `schema`. */
export function bucketIndex(value: number, schema: number): number {
  frexp(value);
  if (schema > 0) {
    const bounds = FRACTION_BOUNDS[schema]!;
    // First j with bounds[j] >= frac: values on a boundary belong below it (upper bounds are inclusive).
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid]! < frac) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exp - 1) * bounds.length;
  }
  // frac 0.5 is an exact power of two: the upper bound of the bucket below.
  const key = frac === 0.5 ? exp - 1 : exp;
  const offset = (1 << -schema) - 1;
  return (key + offset) >> -schema;
}

/** The upper bound of bucket `index` at `schema`. */
export function bucketUpperBound(index: number, schema: number): number {
  return 2 ** (index / 2 ** schema);
}

/** Sparse bucket counts of one sign, index → count. */
type Buckets = Map<number, number>;

function halve(buckets: Buckets): Buckets {
  const next: Buckets = new Map();
  // Bucket i at schema s is half of bucket ceil(i/2) at schema s-1.
  for (const [i, c] of buckets) next.set((i + 1) >> 1, (next.get((i + 1) >> 1) ?? 0) + c);
  return next;
}

function sorted(buckets: Buckets): [number, number][] {
  return [...buckets].sort((a, b) => a[0] - b[0]);
}

/** One series' exponential buckets. */
export class NativeBuckets {
  schema: number;
  zeroCount = 0;
  count = 0;
  sum = 0;
  private positive: Buckets = new Map();
  private negative: Buckets = new Map();

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
    const buckets = value > 0 ? this.positive : this.negative;
    const index = bucketIndex(magnitude, this.schema);
    const before = buckets.get(index);
    buckets.set(index, (before ?? 0) + weight);
    if (before === undefined) this.limit();
  }

  /** Scale reduction: merges neighbours until the bucket count is within the limit (or the schema is at its minimum). */
  private limit(): void {
    while (this.positive.size + this.negative.size > this.spec.maxBuckets && this.schema > MIN_SCHEMA) {
      this.positive = halve(this.positive);
      this.negative = halve(this.negative);
      this.schema--;
    }
  }

  read(): NativeHistogramPoint {
    return {
      schema: this.schema,
      zeroThreshold: this.spec.zeroThreshold,
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      positive: sorted(this.positive),
      negative: sorted(this.negative),
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
