/** How typed-array storage of series grows (series tables' keys, value columns). */

/**
 * Capacity for `row`: by half while small (a family with a few series takes a
 * few hundred bytes), then by 4,096 rows or an eighth, whichever is more:
 * spare rows stay under an eighth of a large table (doubling left up to
 * half of them unused), for at most eight copies of each row over its life.
 */
export function roomFor(row: number): number {
  return row < 4096 ? Math.max(16, (row * 3) >> 1) : row + Math.max(4096, row >> 3);
}

/** A copy of `array` with room for `length` elements, of the same typed-array type. */
export function grow<A extends Uint16Array | Int32Array | Float64Array>(array: A, length: number): A {
  const next = new (array.constructor as new (n: number) => A)(length);
  next.set(array);
  return next;
}
