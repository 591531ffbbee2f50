/**
 * One collection per interval feeding one SeriesHistory that rule evaluation
 * and metric-based health checks share, so alerting and health never collect
 * the registry twice. Listeners run after each sample, in registration
 * order; a listener that throws is reported and the others still run.
 */
import type { FamilySnapshot } from '../api/snapshot.js';
import { type Scheduler, realScheduler } from '../core/scheduler.js';
import { SeriesHistory } from './history.js';

type Listener = (t: number, families: readonly FamilySnapshot[]) => void | Promise<void>;

export interface SamplerOptions {
  collect: () => Promise<readonly FamilySnapshot[]>;
  intervalMs: number;
  scheduler?: Scheduler;
  onError?: (error: unknown) => void;
}

export class Sampler {
  readonly history = new SeriesHistory();
  readonly scheduler: Scheduler;
  private readonly listeners: Listener[] = [];
  /** Collect even when the history wants no sample name (a listener reads the families). */
  private collectAlways = false;
  private cancel: (() => void) | undefined;
  private running = false;
  private stopped = false;

  constructor(private readonly options: SamplerOptions) {
    this.scheduler = options.scheduler ?? realScheduler;
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  /** Runs `listener` after every sample; `needsFamilies` makes every sample collect the registry. */
  onSample(listener: Listener, needsFamilies = false): void {
    this.listeners.push(listener);
    this.collectAlways ||= needsFamilies;
  }

  /** Collects now and records the samples the history wants, without running the listeners. */
  async refresh(): Promise<{ t: number; families: readonly FamilySnapshot[] }> {
    const families = this.history.names.size || this.collectAlways ? await this.options.collect() : [];
    const t = this.scheduler.now();
    this.history.ingest(families, t);
    return { t, families };
  }

  /** Collects now, records the samples the history wants, and runs the listeners. */
  async sample(): Promise<void> {
    const { t, families } = await this.refresh();
    for (const listener of this.listeners) {
      try {
        await listener(t, families);
      } catch (error) {
        (this.options.onError ?? ((e) => console.warn(`omnimeter: ${(e as Error).message}`)))(error);
      }
    }
  }

  /** Samples every interval until stop(); the first sample is taken at once. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const tick = async () => {
      try {
        await this.sample();
      } finally {
        if (this.running) this.cancel = this.scheduler.setTimeout(tick, this.options.intervalMs);
      }
    };
    this.cancel = this.scheduler.setTimeout(tick, 0);
  }

  stop(): void {
    this.running = false;
    this.stopped = true;
    this.cancel?.();
  }
}
