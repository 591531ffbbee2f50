/**
 * The backends every platform has (no Node module here: the browser
 * conformance run imports this too), and helpers the suite uses.
 */
import type { MetricsBackend } from '../../src/api/backend.js';
import type { Metrics, MetricsOptions } from '../../src/api/metrics.js';
import type { SeriesSnapshot } from '../../src/api/snapshot.js';
import { nativeBackend } from '../../src/backends/native/index.js';
import { type Recorder, type RecorderBackend, recorderBackend } from '../../src/backends/recorder/index.js';
import type { Clock } from '../../src/core/clock.js';
import { DEFAULT_LIMITS, GuestSession } from '../../src/host/guest-session.js';
import { createMetrics } from '../../src/index.js';
import { expect } from 'vitest';

export interface BackendCase {
  name: string;
  create(clock?: Clock): MetricsBackend;
  /** Asynchronous set-up before each test, for backends that cannot be created synchronously everywhere. */
  prepare?(): Promise<void>;
  /** After each test: checks what the other side saw (the host, for the recorder backend). */
  verify?(): Promise<void>;
  /** Called by metricsOn with every Metrics built on one of this case's backends. */
  created?(metrics: Metrics, backend: MetricsBackend): void;
}

/** The guest-side recorder backend, wired to a real host session in the same process. */
function recorderPair(clock?: Clock): { backend: RecorderBackend; host: Metrics } {
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
  return { backend: recorderBackend(session.imports() as unknown as Recorder, { clock }), host };
}

const isZero = (s: SeriesSnapshot) => !s.value && !s.count && !s.sum;
/** A series' key on either side: the guest's own labels; overflow series, which carry only default labels, by that label. */
const own = (labels: SeriesSnapshot['labels']) =>
  labels.some(([k]) => k === 'omnimeter_overflow')
    ? 'overflow'
    : JSON.stringify(labels.filter(([k]) => k !== 'component' && k !== 'component_instance'));

/**
 * The host's view must equal the guest's after a flush: every guest series
 * with a value is on the host with the same value, count and buckets, and the
 * host has no series the guest no longer has (a remove() or reset() that
 * never reached it). omnimeter_ self-metrics stay in the guest: a guest may
 * not write the host's namespace. Quantiles are left out: the host's window
 * runs on its own clock, the tests move the guest's by hand.
 */
export async function expectHostMatchesGuest(guest: Metrics, backend: RecorderBackend, host: Metrics): Promise<void> {
  const guestFamilies = (await guest.registry.collect()).filter((f) => !f.name.startsWith('omnimeter_'));
  backend.flush(); // after the guest's collect: its gauge callbacks have run
  const hostFamilies = new Map((await host.registry.collect()).map((f) => [f.name, f]));
  for (const gf of guestFamilies) {
    const hostSeries = new Map((hostFamilies.get(gf.name)?.series ?? []).map((s) => [own(s.labels), s]));
    for (const gs of gf.series) {
      const hs = hostSeries.get(own(gs.labels));
      hostSeries.delete(own(gs.labels));
      if (!hs && isZero(gs)) continue; // never changed, so never sent
      expect(hs, `host lacks ${gf.name}${own(gs.labels)}`).toBeDefined();
      expect([hs!.value, hs!.count, hs!.bucketCounts], `${gf.name}${own(gs.labels)}`).toEqual([gs.value, gs.count, gs.bucketCounts]);
      if (gs.sum !== undefined) expect(Math.abs(hs!.sum! - gs.sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(gs.sum)));
    }
    expect([...hostSeries.keys()], `${gf.name}: series the host still has but the guest does not`).toEqual([]);
  }
}

function recorderCase(): BackendCase {
  let pairs: { guest: Metrics; backend: RecorderBackend; host: Metrics }[] = [];
  const hosts = new WeakMap<MetricsBackend, Metrics>();
  return {
    name: 'recorder (guest side)',
    create(clock) {
      const { backend, host } = recorderPair(clock);
      hosts.set(backend, host);
      return backend;
    },
    created(guest, backend) {
      const host = hosts.get(backend);
      if (host) pairs.push({ guest, backend: backend as RecorderBackend, host });
    },
    async verify() {
      const checking = pairs;
      pairs = [];
      for (const { guest, backend, host } of checking) if (guest.enabled) await expectHostMatchesGuest(guest, backend, host);
    },
  };
}

export const portableBackends: BackendCase[] = [{ name: 'native', create: (clock) => nativeBackend({ clock }) }, recorderCase()];

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
  const store = backend.create(options.clock);
  const metrics = createMetrics({ ...options, backend: store, clock: options.clock });
  backend.created?.(metrics, store);
  return metrics;
}
