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
