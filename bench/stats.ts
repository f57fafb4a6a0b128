/**
 * The one rank rule every bench uses: the nearest rank (the smallest sample with at least the
 * fraction `p` of the samples at or below it), so a median, a p10 and a p99 mean the same thing
 * in every table. For an even count the median is the lower of the two middle samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
