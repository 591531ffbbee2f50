// omnimeter's metrics engine as a component (world `backend`): the core and
// native backend, compiled with componentize-js, behind the recorder and
// collector interfaces. `createMetrics({ backend: 'wasm-component' })` in Node
// stores and aggregates through it.
// @ts-expect-error resolved by componentize-js at build time
import { nowMs } from 'omnimeter:metrics/clock@0.1.0';
import { nativeBackend } from '../../src/backends/native/index.js';
import type { Registry } from '../../src/core/registry.js';
import { DEFAULT_LIMITS, type GuestDescriptor, GuestSession, type GuestUpdate, type Op } from '../../src/host/guest-session.js';
import { createMetrics } from '../../src/index.js';

function start() {
  // The importer's clock, so summary windows follow it.
  const clock = { now: () => nowMs() as number };
  const metrics = createMetrics({ backend: nativeBackend({ clock }), clock, maxSeriesPerMetric: 1_000_000 });
  const rejected = metrics.counter('omnimeter_engine_rejected_total', {
    help: 'Refused calls.',
    labelNames: ['component', 'reason'] as const,
  });
  const session = new GuestSession({
    metrics,
    component: 'engine',
    instance: '',
    componentLabel: undefined,
    instanceLabel: undefined,
    limits: { ...DEFAULT_LIMITS, maxMetrics: 100_000, maxSeries: 10_000_000, maxUpdatesPerSecond: Infinity },
    rejected,
    now: clock.now,
  });
  return { metrics, session };
}
// Created on first use: componentize-js pre-initializes modules with Wizer, which forbids imports at top level.
let engine: ReturnType<typeof start> | undefined;
const get = () => (engine ??= start());

export const recorder = {
  registerMetric: (desc: GuestDescriptor) => get().session.registerMetric(desc),
  registerSeries: (metric: number, values: string[]) => get().session.registerSeries(metric, values),
  apply: (series: number, op: Op, index: number, value: number) => get().session.apply(series, op, index, value),
  applyBatch: (updates: GuestUpdate[]) => get().session.applyBatch(updates),
  applyNamed: (name: string, labels: { name: string; value: string }[], op: Op, value: number) =>
    get().session.applyNamed(name, labels, op, value),
  now: () => nowMs() / 1000,
};

export const collector = {
  snapshot() {
    const families = (get().metrics.registry as unknown as Registry).collectNow().filter((f) => f.name !== 'omnimeter_engine_rejected');
    return families.map((f) => ({
      descriptor: {
        name: f.name,
        help: f.help,
        unit: f.unit,
        kind: f.type,
        labelNames: f.series[0]?.labels.map(([n]) => n) ?? [],
        buckets: Float64Array.from(f.buckets ?? []),
        quantiles: Float64Array.from(f.quantiles ?? []),
        maxAgeSeconds: 0,
        ageBuckets: 0,
      },
      series: f.series.map((s) => ({
        labels: s.labels.map(([name, value]) => ({ name, value })),
        value: s.value ?? 0,
        count: s.count ?? 0,
        sum: s.sum ?? 0,
        bucketCounts: Float64Array.from(s.bucketCounts ?? []),
        quantileValues: Float64Array.from(s.quantileValues ?? []),
      })),
    }));
  },
};
