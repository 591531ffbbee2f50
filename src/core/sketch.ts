/**
 * Log-linear quantile sketch (the HdrHistogram bucket layout, computed from
 * the bits of the float).
 *
 * A value's bucket is its binary exponent plus the top SUB_BITS bits of its
 * mantissa: 128 buckets per power of two, so a bucket's midpoint is within
 * 1/256 (0.39%) of any value in it. Finding the bucket is two typed-array
 * accesses and a shift, no Math.log. Sketches with the same layout merge
 * exactly by adding bucket counts, which is what makes summaries from many
 * processes or WASM guests aggregatable (summing quantiles is not).
 *
 * The relative bound holds for normal floats. Below the smallest normal
 * (2^-1022) the exponent is fixed and the buckets are linear, so subnormal
 * observations carry an absolute error of up to 2^-1022 instead.
 */

/** Mantissa bits kept per bucket: 2^7 = 128 buckets per power of two. */
export const SUB_BITS = 7;
/** Maximum relative error of a value estimate (half a bucket's relative width). */
export const RELATIVE_ERROR = 1 / (2 << SUB_BITS);
/**
 * Buckets one store keeps before collapsing the lowest ones: 32 powers of
 * two (1 µs to over an hour, in seconds). A store only allocates the span
 * its data covers.
 */
export const MAX_BUCKETS = 4096;

const SHIFT = 20 - SUB_BITS;
/** A store's first allocation: 64 bytes, which V8 keeps on the heap; it doubles as data spreads. */
const INITIAL_BUCKETS = 8;
/** Every empty store shares this: a summary series costs no array until it observes. */
const NO_COUNTS = new Float64Array(0);

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Index of the high (sign/exponent) word of a float64 in this platform's byte order.
const HI = (() => {
  f64[0] = 1;
  return u32[1] === 0x3ff00000 ? 1 : 0;
})();

/** Bucket index of a positive magnitude. */
export function bucketIndex(magnitude: number): number {
  f64[0] = magnitude;
  return u32[HI]! >>> SHIFT;
}

/** Smallest value that falls in bucket `index`. */
export function bucketLowerBound(index: number): number {
  u32[HI] = index << SHIFT;
  u32[1 - HI] = 0;
  return f64[0]!;
}

/** The value reported for bucket `index`: its midpoint. */
export function bucketValue(index: number): number {
  return (bucketLowerBound(index) + bucketLowerBound(index + 1)) / 2;
}

/**
 * Dense counts over a window of bucket indexes that grows on demand. Past
 * MAX_BUCKETS it keeps the highest buckets and folds lower ones into its
 * lowest bucket, so memory stays bounded and the upper quantiles (the ones
 * people alert on) stay exact to the bucket.
 */
export class BucketStore {
  counts: Float64Array = NO_COUNTS;
  offset = 0;
  /** Set once values had to be folded: the store now keeps the top range only. */
  private collapsed = false;

  add(index: number, weight: number): void {
    let slot = index - this.offset;
    if (slot < 0 || slot >= this.counts.length) slot = this.makeRoom(index);
    this.counts[slot]! += weight;
  }

  clear(): void {
    this.counts.fill(0);
    this.collapsed = false;
  }

  /** Adds every count of `other` into this store. */
  merge(other: BucketStore): void {
    const counts = other.counts;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      if (c !== 0) this.add(other.offset + i, c);
    }
  }

  private makeRoom(index: number): number {
    const len = this.counts.length;
    if (len === 0) {
      this.offset = Math.max(0, index - INITIAL_BUCKETS / 2);
      this.counts = new Float64Array(INITIAL_BUCKETS);
      return index - this.offset;
    }
    // Once collapsed, values below the kept range fold into its lowest bucket.
    if (this.collapsed && index < this.offset) return 0;
    // The occupied range, not the allocated one, decides whether it fits.
    let first = -1;
    let last = -1;
    for (let i = 0; i < len; i++) {
      if (this.counts[i] !== 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    const lo = first < 0 ? index : Math.min(index, this.offset + first);
    const hi = first < 0 ? index + 1 : Math.max(index + 1, this.offset + last + 1);
    if (hi - lo <= MAX_BUCKETS) {
      const size = Math.min(MAX_BUCKETS, Math.max(2 * len, hi - lo)); // headroom on the side it grew
      this.relocate(index < this.offset ? Math.max(0, hi - size) : lo, size);
      return index - this.offset;
    }
    // Too wide: keep the top MAX_BUCKETS buckets, fold everything below into the lowest.
    this.collapsed = true;
    this.relocate(hi - MAX_BUCKETS, MAX_BUCKETS);
    return Math.max(0, index - this.offset);
  }

  private relocate(offset: number, size: number): void {
    const old = this.counts;
    const oldOffset = this.offset;
    const next = new Float64Array(size);
    for (let i = 0; i < old.length; i++) {
      const c = old[i]!;
      if (c === 0) continue;
      const slot = oldOffset + i - offset;
      next[slot < 0 ? 0 : slot]! += c;
    }
    this.counts = next;
    this.offset = offset;
  }
}

export class LogLinearSketch {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  zeroCount = 0;
  readonly positive = new BucketStore();
  /** Magnitudes of negative values. */
  readonly negative = new BucketStore();

  /**
   * Records a finite value (the caller validates). Bucket 0 (zero and the
   * subnormals below 2^-1029) counts as zero, here and in addBucket alike.
   */
  add(value: number, weight = 1): void {
    const index = bucketIndex(value < 0 ? -value : value);
    if (index === 0) this.zeroCount += weight;
    else if (value > 0) this.positive.add(index, weight);
    else this.negative.add(index, weight);
    this.count += weight;
    this.sum += value * weight;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /**
   * Adds `weight` observations known only by their bucket (from another
   * sketch of the same layout, e.g. a WASM guest's). Min and max widen to
   * the bucket's bounds.
   */
  addBucket(index: number, weight: number): void {
    this.count += weight;
    if (index === 0) {
      // Bucket 0 holds zero (and subnormals below 2^-1029): count it as zero, as add() does.
      this.zeroCount += weight;
      if (0 < this.min) this.min = 0;
      if (0 > this.max) this.max = 0;
      return;
    }
    this.positive.add(index, weight);
    const low = bucketLowerBound(index);
    const high = bucketLowerBound(index + 1);
    if (low < this.min) this.min = low;
    if (high > this.max) this.max = high;
  }

  merge(other: LogLinearSketch): void {
    if (other.count === 0) return;
    this.positive.merge(other.positive);
    this.negative.merge(other.negative);
    this.zeroCount += other.zeroCount;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  clear(): void {
    this.positive.clear();
    this.negative.clear();
    this.zeroCount = 0;
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /**
   * Estimated value at quantile q in [0, 1]: the value of rank q*(count-1),
   * within RELATIVE_ERROR of the true one. NaN when empty (OpenMetrics).
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    // Clamped: with fractional weights count can be < 1, and a negative rank would stop at an empty bucket.
    const rank = Math.max(0, q * (this.count - 1));
    let seen = 0;
    const neg = this.negative;
    for (let i = neg.counts.length - 1; i >= 0; i--) {
      seen += neg.counts[i]!;
      if (seen > rank) return this.clamp(-bucketValue(neg.offset + i));
    }
    seen += this.zeroCount;
    if (seen > rank) return 0;
    const pos = this.positive;
    for (let i = 0; i < pos.counts.length; i++) {
      seen += pos.counts[i]!;
      if (seen > rank) return this.clamp(bucketValue(pos.offset + i));
    }
    return this.max;
  }

  private clamp(value: number): number {
    return value < this.min ? this.min : value > this.max ? this.max : value;
  }
}
