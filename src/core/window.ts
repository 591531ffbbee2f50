import type { CoarseClock } from './clock.js';
import { LogLinearSketch } from './sketch.js';

/**
 * Values an age bucket keeps as they came before it builds a sketch. A JS
 * array of one number costs ~56 B and grows to 17 slots on the first push, a
 * sketch ~400 B: most series of a large family see a handful of values per
 * period, so they never pay for a sketch.
 */
export const RAW_LIMIT = 16;

/** One age bucket's observations: raw values (weight 1 each) or a sketch. */
type Period = number[] | LogLinearSketch;

/**
 * Observations of the last `maxAgeSeconds`, kept in `ageBuckets` periods
 * that rotate. Each observation goes into the current period only (one
 * insert, not one per bucket as in prom-client); reads merge the periods.
 * The window therefore spans between (ageBuckets-1)/ageBuckets and all of
 * maxAgeSeconds, the same granularity the bucket count implies. Period p
 * covers clock times [p, p+1) * periodMs, the same for every window of a
 * clock and shape (not counted from each window's creation), which keeps
 * that bound.
 *
 * Memory is what the window holds: nothing until the first observation; the
 * current period keeps up to RAW_LIMIT values as a plain array, then a
 * sketch; older periods get a ring only once the current one ages with data
 * in it, and the ring is dropped when everything in it has aged out. Reads
 * merge into one scratch sketch shared by every window, adding raw values
 * exactly as a sketch would have: quantiles are the same as if every period
 * were a sketch from the start.
 */
export class SlidingWindow {
  private readonly periodMs: number;
  /** End of the period `head` belongs to. */
  private untilMs: number;
  /** The current period: raw values, then a sketch. */
  private head: Period | undefined = undefined;
  /** Older periods: period p at p % ageBuckets. */
  private ring: (Period | undefined)[] | undefined = undefined;

  constructor(
    maxAgeSeconds: number,
    private readonly ageBuckets: number,
    private readonly clock: CoarseClock,
  ) {
    this.periodMs = (maxAgeSeconds * 1000) / ageBuckets;
    this.untilMs = (Math.floor(clock.nowMs / this.periodMs) + 1) * this.periodMs;
  }

  observe(value: number, weight = 1): void {
    if (this.clock.nowMs >= this.untilMs) this.advance();
    const head = this.head;
    if (head instanceof LogLinearSketch) head.add(value, weight);
    else if (weight !== 1 || (head && head.length >= RAW_LIMIT)) this.toSketch().add(value, weight);
    else if (head) head.push(value);
    else this.head = [value];
  }

  /** Merges `weight` observations already bucketed (a guest's sketch). */
  observeBucket(index: number, weight: number): void {
    if (this.clock.nowMs >= this.untilMs) this.advance();
    (this.head instanceof LogLinearSketch ? this.head : this.toSketch()).addBucket(index, weight);
  }

  /** The merged sketch of the whole window; valid until the next call on any window. */
  current(): LogLinearSketch {
    this.clock.refresh();
    if (this.clock.nowMs >= this.untilMs) this.advance();
    scratch.clear();
    mergeInto(scratch, this.head);
    if (this.ring) for (const period of this.ring) mergeInto(scratch, period);
    return scratch;
  }

  private toSketch(): LogLinearSketch {
    const sketch = new LogLinearSketch();
    mergeInto(sketch, this.head);
    this.head = sketch;
    return sketch;
  }

  /** Moves the current period into the ring and forgets periods that aged out. */
  private advance(): void {
    const ms = this.periodMs;
    const n = this.ageBuckets;
    const from = Math.round(this.untilMs / ms) - 1;
    const to = Math.max(from + 1, Math.floor(this.clock.nowMs / ms));
    const head = this.head;
    let ring = this.ring;
    this.untilMs = (to + 1) * ms;
    this.head = undefined;
    if (to - from >= n) ring = undefined;
    else {
      if (head) (ring ??= new Array<Period | undefined>(n).fill(undefined))[from % n] = head;
      // Counted by k, not by period number: past 2^53 (a clock far ahead) p++ leaves p where it was and never ends.
      if (ring) for (let k = 1; k <= to - from; k++) ring[(from + k) % n] = undefined;
      if (!ring?.some((p) => p)) ring = undefined;
    }
    this.ring = ring;
  }
}

function mergeInto(sketch: LogLinearSketch, period: Period | undefined): void {
  if (Array.isArray(period)) for (const v of period) sketch.add(v, 1);
  else if (period) sketch.merge(period);
}

/** Where current() merges: windows are read one at a time, so one sketch serves them all. */
const scratch = new LogLinearSketch();
