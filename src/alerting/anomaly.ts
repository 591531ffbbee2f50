/**
 * Anomaly detection over a measured signal: for each group, an exponentially
 * weighted mean and variance (West's incremental form) and a z-score band.
 * A value is anomalous when it lies more than `z` standard deviations from
 * the mean learned so far, judged before the value is learned. The first
 * `warmup` values only teach; anomalous values are learned with a tenth of
 * the weight, so a sustained shift is absorbed gradually (the alert then
 * resolves) instead of being hidden at once.
 */
import type { Sample } from './history.js';
import { labelKey } from './promql.js';

export interface AnomalyOptions {
  alpha: number;
  z: number;
  warmup: number;
  minStddev: number;
  direction: 'up' | 'down' | 'both';
}

interface State {
  n: number;
  mean: number;
  variance: number;
}

export class AnomalyDetector {
  private readonly states = new Map<string, State>();

  constructor(private readonly options: AnomalyOptions) {}

  /** Feeds one evaluation's values; returns the anomalous ones. */
  observe(samples: readonly Sample[]): Sample[] {
    const out: Sample[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      if (!Number.isFinite(s.value)) continue;
      const k = labelKey(s.labels);
      seen.add(k);
      const state = this.states.get(k);
      if (!state) {
        this.states.set(k, { n: 1, mean: s.value, variance: 0 });
        continue;
      }
      const anomalous = state.n >= this.options.warmup && this.isAnomalous(state, s.value);
      if (anomalous) out.push(s);
      this.learn(state, s.value, anomalous ? this.options.alpha / 10 : this.options.alpha);
    }
    // Groups that vanished start over when they return.
    for (const k of this.states.keys()) if (!seen.has(k)) this.states.delete(k);
    return out;
  }

  /** The z-score of `value` against a group's current state (for reports and tests). */
  zScore(state: State, value: number): number {
    const sd = Math.max(Math.sqrt(state.variance), this.options.minStddev, Number.EPSILON * Math.abs(state.mean), 1e-12);
    return (value - state.mean) / sd;
  }

  private isAnomalous(state: State, value: number): boolean {
    const z = this.zScore(state, value);
    const { direction, z: limit } = this.options;
    return direction === 'up' ? z > limit : direction === 'down' ? z < -limit : Math.abs(z) > limit;
  }

  private learn(state: State, value: number, alpha: number): void {
    const diff = value - state.mean;
    const increment = alpha * diff;
    state.mean += increment;
    state.variance = (1 - alpha) * (state.variance + diff * increment);
    state.n++;
  }
}
