/**
 * Wall-clock time and timers behind one small interface, so rule evaluation,
 * notification retries, escalation and health-check timeouts can be driven
 * by a manual clock in tests (deterministic, no sleeping) and by real timers
 * in production. Real timers are unref'd: alerting never keeps a process alive.
 */

export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Runs `run` after `ms`; returns a function that cancels it. A manual clock
   * waits for a promise `run` returns before moving on (so a timed evaluation
   * completes within the step that triggered it); such a promise must not
   * itself wait on this scheduler.
   */
  setTimeout(run: () => void | Promise<unknown>, ms: number): () => void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(run, ms) {
    const timer = setTimeout(() => void run(), Math.max(0, ms));
    (timer as { unref?: () => void }).unref?.();
    return () => clearTimeout(timer);
  },
};

interface Pending {
  at: number;
  seq: number;
  run: () => void | Promise<unknown>;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires the timers that
 * fall due, in time order, letting promise callbacks settle between them, so
 * code that awaits inside a timer behaves as it would with real time.
 */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly pending: Pending[] = [];

  constructor(startMs = Date.UTC(2030, 0, 1)) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void | Promise<unknown>, ms: number): () => void {
    const entry = { at: this.time + Math.max(0, ms), seq: this.seq++, run };
    this.pending.push(entry);
    return () => {
      const i = this.pending.indexOf(entry);
      if (i >= 0) this.pending.splice(i, 1);
    };
  }

  /** Timers not yet fired. */
  get timers(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = this.nextDue(target);
      if (!next) break;
      this.pending.splice(this.pending.indexOf(next), 1);
      this.time = Math.max(this.time, next.at);
      await next.run();
    }
    this.time = target;
    await settle();
  }

  private nextDue(limit: number): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.pending) if (p.at <= limit && (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq))) best = p;
    return best;
  }
}

const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate ?? ((run: () => void) => setTimeout(run, 0));

/** Lets pending promise callbacks (and a few rounds of I/O callbacks) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => immediate(resolve));
}

/** Waits `ms` on `scheduler`; resolves early when `signal` aborts. */
export function sleep(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const cancel = scheduler.setTimeout(done, ms);
    function done() {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
