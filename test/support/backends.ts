import type { MetricsBackend } from '../../src/api/backend.js';
import type { MetricsOptions } from '../../src/api/metrics.js';
import { nativeBackend } from '../../src/backends/native/index.js';
import type { Clock } from '../../src/core/clock.js';
import { createMetrics } from '../../src/index.js';

/** Every backend the conformance suite runs against. Later backends add themselves here. */
export interface BackendCase {
  name: string;
  create(clock?: Clock): MetricsBackend;
}

export const backends: BackendCase[] = [{ name: 'native', create: (clock) => nativeBackend({ clock }) }];

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public ms = 1_000) {}
  now(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export function metricsOn(backend: BackendCase, options: MetricsOptions = {}) {
  return createMetrics({ ...options, backend: backend.create(options.clock), clock: options.clock });
}
