/**
 * The q-quantile of a histogram from its per-bucket counts (`counts` has one
 * more entry than `bounds`: the +Inf bucket), interpolated linearly inside
 * the bucket as PromQL's histogram_quantile does. NaN when empty.
 */
export function bucketQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const before = cumulative;
    cumulative += counts[i]!;
    if (cumulative >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? NaN; // +Inf bucket
      const lower = i === 0 ? Math.min(0, bounds[0]!) : bounds[i - 1]!;
      return lower + ((bounds[i]! - lower) * (rank - before)) / (counts[i]! || 1);
    }
  }
  return bounds[bounds.length - 1] ?? NaN;
}
