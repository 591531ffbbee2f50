import { MetricsError } from './errors.js';

/** `count` bucket bounds: start, start+width, ... */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!(width > 0) || !Number.isInteger(count) || count < 1 || !Number.isFinite(start)) {
    throw new MetricsError(
      'INVALID_OPTIONS',
      `linearBuckets: expected finite start, width > 0 and integer count >= 1, got ${start}, ${width}, ${count}`,
    );
  }
  return Array.from({ length: count }, (_, i) => start + i * width);
}

/** `count` bucket bounds: start, start*factor, ... */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !Number.isInteger(count) || count < 1) {
    throw new MetricsError(
      'INVALID_OPTIONS',
      `exponentialBuckets: expected start > 0, factor > 1 and integer count >= 1, got ${start}, ${factor}, ${count}`,
    );
  }
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** The index of the first bound `value` does not exceed (bounds.length: above them all): where an observation counts. */
export function bucketIndex(bounds: Float64Array, value: number): number {
  const n = bounds.length;
  let i = 0;
  if (n <= 16) {
    while (i < n && value > bounds[i]!) i++;
    return i;
  }
  let hi = n;
  while (i < hi) {
    const mid = (i + hi) >>> 1;
    if (value > bounds[mid]!) i = mid + 1;
    else hi = mid;
  }
  return i;
}
