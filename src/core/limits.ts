/**
 * Bounds on what one registration or label set may ask for, so no call can
 * exhaust memory or produce an exposition a scraper refuses. Each is
 * documented with its default and behaviour in docs/security.md.
 */
export const LIMITS = Object.freeze({
  /** Characters in a metric name, prefix included. */
  nameLength: 256,
  /** Characters in a label name. */
  labelNameLength: 128,
  /** Label names one metric declares. */
  labelNames: 32,
  /** Characters in a label value (UTF-16 code units). */
  labelValueLength: 1024,
  /** Characters of help text. */
  helpLength: 4096,
  /** Histogram bucket bounds (+Inf not counted). */
  buckets: 256,
  /** Summary quantiles. */
  quantiles: 32,
  /** Summary window slices (each holds a sketch per series). */
  ageBuckets: 100,
});
