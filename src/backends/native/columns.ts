import { type HistogramColumns, NativeHistogram, histogramStorage } from './cells.js';

/** Most series per chunk of a histogram column; a column's first chunk holds 4, each next one twice the last. */
const CHUNK = 256;

/**
 * Histogram counts in one column per bucket layout (per family, or shared by
 * families registered with one `buckets` array), in chunks of one
 * Float64Array each: a series is `stride` numbers (its non-cumulative bucket
 * counts, then sum, then count) at an offset in a chunk, where a
 * Float64Array of its own costs ~280 B (typed-array and ArrayBuffer objects
 * plus the store) for 96 B of counts. Chunks never move (cells keep a direct
 * reference to theirs, which also keeps them alive); freed ranges are
 * reused; each column's last chunk is its only slack.
 */
export function histogramColumns(): HistogramColumns {
  const columns = new WeakMap<Float64Array, { free: (Float64Array | number)[]; last: Float64Array; used: number }>();
  return {
    cell(bounds) {
      const stride = bounds.length + 3;
      let column = columns.get(bounds);
      if (!column) columns.set(bounds, (column = { free: [], last: new Float64Array(0), used: 0 }));
      const free = column.free;
      if (free.length > 0) {
        const o = free.pop() as number;
        return new NativeHistogram(bounds, free.pop() as Float64Array, o);
      }
      if (column.used === column.last.length) {
        column.last = new Float64Array(Math.min(CHUNK * stride, 2 * column.last.length || 4 * stride));
        column.used = 0;
      }
      column.used += stride;
      return new NativeHistogram(bounds, column.last, column.used - stride);
    },
    release(cell, reason) {
      const { c, o } = cell;
      const stride = cell.bounds.length + 3;
      const column = columns.get(cell.bounds);
      if (!column || c.length === stride) return; // already on its own (chunks hold 4 or more)
      const own = new Float64Array(stride);
      if (reason === 'expired') own.set(c.subarray(o, o + stride));
      c.fill(0, o, o + stride);
      column.free.push(c, o);
      cell.c = own;
      cell.o = 0;
    },
  };
}

/** Installs shared histogram columns in every native backend created from now on (`omnimeter` does on import). */
export function enableHistogramColumns(): void {
  histogramStorage.columns ??= histogramColumns;
}
