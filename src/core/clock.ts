/**
 * Time sources. Reading a clock costs ~90 ns on the machines we measure on,
 * more than an entire summary observation, so sliding windows read a coarse
 * clock: a field refreshed by one shared, unref'd interval timer that runs
 * only while some window needs it.
 */

export interface Clock {
  /** Monotonic milliseconds with sub-millisecond resolution. */
  now(): number;
}

export const performanceClock: Clock = { now: () => performance.now() };

/** A clock whose reading is a field, refreshed in the background. */
export interface CoarseClock {
  readonly nowMs: number;
  /**
   * Changes whenever `nowMs` does (a small integer on the ticking clock): hot
   * paths that act once per tick compare it, a cheaper check than a double.
   */
  readonly tick: number;
  /** Make `nowMs` exact now (called before reading windows at collection). */
  refresh(): void;
  /** Keep the clock ticking while at least one user holds it. */
  retain(): void;
  release(): void;
}

const TICK_MS = 250;

class TickingClock implements CoarseClock {
  nowMs = performance.now();
  tick = 0;
  private users = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  refresh(): void {
    this.nowMs = performance.now();
    this.tick = (this.tick + 1) | 0;
  }

  retain(): void {
    if (this.users++ === 0) {
      this.refresh();
      this.timer = setInterval(() => this.refresh(), TICK_MS);
      // Never keep a process alive for metrics (Node); browsers have no unref.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  release(): void {
    if (this.users > 0 && --this.users === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** Reads an injected clock on every access: exact, for tests and custom clocks. */
class DirectClock implements CoarseClock {
  constructor(private readonly clock: Clock) {}
  get nowMs(): number {
    return this.clock.now();
  }
  get tick(): number {
    return this.clock.now();
  }
  refresh(): void {}
  retain(): void {}
  release(): void {}
}

let shared: TickingClock | undefined;

export function coarseClockFor(clock: Clock): CoarseClock {
  if (clock !== performanceClock) return new DirectClock(clock);
  return (shared ??= new TickingClock());
}
