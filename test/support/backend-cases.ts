/**
 * The backends every platform has (no Node module here: the browser
 * conformance run imports this too), and helpers the suite uses.
 */
import type { MetricsBackend } from '../../src/api/backend.js';
import type { MetricsOptions } from '../../src/api/metrics.js';
import { nativeBackend } from '../../src/backends/native/index.js';
import { type Recorder, recorderBackend } from '../../src/backends/recorder/index.js';
import type { Clock } from '../../src/core/clock.js';
import { DEFAULT_LIMITS, GuestSession } from '../../src/host/guest-session.js';
import { createMetrics } from '../../src/index.js';

export interface BackendCase {
  name: string;
  create(clock?: Clock): MetricsBackend;
  /** Asynchronous set-up before each test, for backends that cannot be created synchronously everywhere. */
  prepare?(): Promise<void>;
}

/** The guest-side recorder backend, wired to a real host session in the same process. */
function recorderCase(clock?: Clock): MetricsBackend {
  const host = createMetrics();
  const rejected = host.counter('rejected_total', { help: 'r', labelNames: ['component', 'reason'] as const });
  const session = new GuestSession({
    metrics: host,
    component: 'conformance',
    instance: '1',
    componentLabel: 'component',
    instanceLabel: 'component_instance',
    limits: DEFAULT_LIMITS,
    rejected,
  });
  return recorderBackend(session.imports() as unknown as Recorder, { clock });
}

export const portableBackends: BackendCase[] = [
  { name: 'native', create: (clock) => nativeBackend({ clock }) },
  { name: 'recorder (guest side)', create: recorderCase },
];

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
