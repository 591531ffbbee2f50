/**
 * What each per-kind merge module provides the merge store: how a delta
 * applies to a series of that kind, and how a cumulative reading becomes
 * deltas (the diff, with resets counted from zero).
 */
import type { CumulativeReading, GaugePolicy, MergeOp, MergeRefusal } from '../../api/merge.js';
import type { AnySeries } from '../series.js';

/** A series as the store holds it for one source: the core's series plus what is shared with other sources. */
export interface MergeTarget {
  readonly merge: KindMerge;
  readonly series: AnySeries;
  readonly shared: SharedSeries;
  /** Histograms: number of finite bounds (a bucket index may be at most this: +Inf). */
  readonly bounds: number;
}

/** State of one core series that several sources may write. */
export interface SharedSeries {
  /** Sessions holding an id for it. */
  holders: number;
  /** Gauges under a policy other than "last": each source's own value. */
  gauge?: Map<object, number>;
}

/** The writing source, as a kind module needs to know it. */
export interface MergeSource {
  readonly policy: GaugePolicy;
}

/** Applies one delta; returns why it was refused, or undefined. */
export type ApplyDelta = (target: MergeTarget, op: MergeOp, index: number, value: number, source: MergeSource) => MergeRefusal | undefined;

export interface KindMerge {
  readonly apply: ApplyDelta;
  /**
   * Applies `current` minus `previous` (undefined: the first reading) through
   * `apply`. A reset (a total that went down) counts `current` from zero.
   */
  diff(
    previous: CumulativeReading | undefined,
    current: CumulativeReading,
    apply: (op: MergeOp, index: number, value: number) => MergeRefusal | undefined,
  ): MergeRefusal | undefined;
  /** A copy of what diff needs of a reading, kept as the next baseline. */
  keep(reading: CumulativeReading): CumulativeReading;
}

/** Finite and >= 0: the range of counts and counter deltas. */
export const isCount = (value: number): boolean => value >= 0 && value < Infinity;
