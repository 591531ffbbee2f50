/**
 * What one `/ingest` source, and all of them together, may make the
 * collector hold and expose. Every limit here is listed with its default and
 * what happens at it in docs/security.md; the configuration's
 * `exporters[].ingest` section sets them.
 */
import { LIMITS } from '../core/limits.js';

export interface IngestLimits {
  /** Largest body accepted (bytes); larger is refused with 413 before it is parsed. */
  maxBytes: number;
  /** Distinct sources held at once; a new one beyond it is refused (429) until one expires. */
  maxSources: number;
  /** Metric families one source may push. */
  maxMetricsPerSource: number;
  /** Series one source may push (over all its metrics). */
  maxSeriesPerSource: number;
  /** Bucket bounds of one pushed histogram (+Inf not counted). */
  maxBucketsPerHistogram: number;
  /** Upper bound of what one source's series may add to a scrape (bytes, estimated from above). */
  maxExpositionBytesPerSource: number;
  /** The same bound over all sources together. */
  maxExpositionBytes: number;
  /** A source that has not pushed for this long is forgotten, its series removed (ms). */
  sourceIdleMs: number;
  /** Pushes per second one source may make (a bucket twice as deep absorbs bursts). */
  sourcePushesPerSecond: number;
  /** Pushes per second over all sources. */
  pushesPerSecond: number;
  /** Body bytes per second parsed over all sources (the bucket holds at least two maximal bodies). */
  bytesPerSecond: number;
  /**
   * Bytes of bodies being received, over all requests: a chunk that would
   * exceed it ends its request with 503. Memory for bodies stays under it
   * however many clients send at once or how slowly (a slow body holds only
   * what it sent, not a slot).
   */
  maxBufferedBytes: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = Object.freeze({
  maxBytes: 1024 * 1024,
  maxSources: 1000,
  maxMetricsPerSource: 256,
  maxSeriesPerSource: 1000,
  maxBucketsPerHistogram: LIMITS.buckets,
  maxExpositionBytesPerSource: 256 * 1024,
  maxExpositionBytes: 16 * 1024 * 1024,
  sourceIdleMs: 10 * 60_000,
  sourcePushesPerSecond: 2,
  pushesPerSecond: 200,
  bytesPerSecond: 4 * 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
});

/** JSON nesting a snapshot needs is 6 (root, metrics, family, series, series, labels); deeper bodies are refused before parsing. */
export const MAX_JSON_DEPTH = 16;
