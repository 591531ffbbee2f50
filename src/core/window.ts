import type { CoarseClock } from './clock.js';
import { LogLinearSketch } from './sketch.js';

/**
 * Observations of the last `maxAgeSeconds`, kept in `ageBuckets` sketches
 * that rotate. Each observation goes into the current sketch only (one
 * insert, not one per bucket as in prom-client); reads merge the ring.
 * The window therefore spans between (ageBuckets-1)/ageBuckets and all of
 * maxAgeSeconds, the same granularity the bucket count implies.
 *
 * Memory is what the window holds: an age bucket's sketch is allocated when
 * something is observed in its period and dropped when it ages out, and the
 * merge at read time uses one scratch sketch shared by every window.
 */
export class SlidingWindow {
  private readonly ring: (LogLinearSketch | undefined)[];
  private readonly periodMs: number;
  private head = 0;
  private rotateAtMs: number;

  constructor(
    maxAgeSeconds: number,
    ageBuckets: number,
    private readonly clock: CoarseClock,
  ) {
    this.ring = new Array<LogLinearSketch | undefined>(ageBuckets).fill(undefined);
    this.periodMs = (maxAgeSeconds * 1000) / ageBuckets;
    this.rotateAtMs = clock.nowMs + this.periodMs;
  }

  observe(value: number, weight = 1): void {
    if (this.clock.nowMs >= this.rotateAtMs) this.rotate();
    (this.ring[this.head] ??= new LogLinearSketch()).add(value, weight);
  }

  /** Merges `weight` observations already bucketed (a guest's sketch). */
  observeBucket(index: number, weight: number): void {
    if (this.clock.nowMs >= this.rotateAtMs) this.rotate();
    (this.ring[this.head] ??= new LogLinearSketch()).addBucket(index, weight);
  }

  /** The merged sketch of the whole window; valid until the next call on any window. */
  current(): LogLinearSketch {
    this.clock.refresh();
    if (this.clock.nowMs >= this.rotateAtMs) this.rotate();
    const merged = scratch;
    merged.clear();
    for (const sketch of this.ring) if (sketch) merged.merge(sketch);
    return merged;
  }

  private rotate(): void {
    const now = this.clock.nowMs;
    const steps = Math.floor((now - this.rotateAtMs) / this.periodMs) + 1;
    for (let i = 0; i < Math.min(steps, this.ring.length); i++) {
      this.head = (this.head + 1) % this.ring.length;
      this.ring[this.head] = undefined;
    }
    this.rotateAtMs += steps * this.periodMs;
  }
}

/** Where current() merges: windows are read one at a time, so one sketch serves them all. */
const scratch = new LogLinearSketch();
