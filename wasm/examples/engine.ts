// omnimeter's metrics engine as a component (world `backend`): a core that
// only stores what arrives through its merge port, over the native backend,
// behind the recorder and collector interfaces. Compiled with
// componentize-js; `createMetrics({ backend: 'wasm-component' })` in Node
// stores and aggregates through it, and any Component Model runtime can use
// it (test/wasmtime drives it from Wasmtime).
// @ts-expect-error resolved by componentize-js at build time
import { nowMs } from 'omnimeter:metrics/clock@0.1.0';
import type { MergeDescriptor } from '../../src/api/merge.js';
import { nativeBackend } from '../../src/backends/native/index.js';
import { createMergeCore } from '../../src/core/metrics.js';
import { counterFamilyName } from '../../src/core/names.js';
import { DEFAULT_LIMITS, type GuestDescriptor, GuestSession, type GuestUpdate, type Op } from '../../src/host/guest-session.js';

/** What the engine refused, by reason: reported in every snapshot, so its user sees it. */
const REJECTED = 'omnimeter_engine_rejected_total';

function start() {
  // The importer's clock, so summary windows follow it.
  const clock = { now: () => nowMs() as number };
  const core = createMergeCore({ backend: nativeBackend({ clock }), clock });
  const refused = new Map<string, number>();
  const session = new GuestSession({
    metrics: core,
    component: 'engine',
    instance: '',
    componentLabel: undefined,
    instanceLabel: undefined,
    limits: { ...DEFAULT_LIMITS, maxMetrics: 100_000, maxSeries: 10_000_000, maxUpdatesPerSecond: Infinity },
    rejected: { inc: ({ reason }, n = 1) => refused.set(reason, (refused.get(reason) ?? 0) + n) },
    now: clock.now,
    trusted: true,
  });
  return { core, session, refused };
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

const wireDescriptor = (d: MergeDescriptor) => ({
  name: d.name,
  help: d.help,
  unit: d.unit,
  kind: d.kind,
  labelNames: [...d.labelNames],
  buckets: Float64Array.from(d.buckets ?? []),
  quantiles: Float64Array.from(d.quantiles ?? []),
  maxAgeSeconds: d.maxAgeSeconds ?? 0,
  ageBuckets: d.ageBuckets ?? 0,
});

export const collector = {
  /** Every registered metric with its descriptor as registered (defaults filled in), then the engine's refusals. */
  snapshot() {
    const { core, session, refused } = get();
    const families = new Map(core.collect().map((f) => [f.name, f]));
    const port = session.merge;
    const out = port.metrics().map((id) => {
      const d = port.descriptor(id)!;
      const family = families.get(d.kind === 'counter' ? counterFamilyName(d.name) : d.name);
      return {
        descriptor: wireDescriptor(d),
        series: (family?.series ?? []).map((s) => ({
          labels: s.labels.map(([name, value]) => ({ name, value })),
          value: s.value ?? 0,
          count: s.count ?? 0,
          sum: s.sum ?? 0,
          bucketCounts: Float64Array.from(s.bucketCounts ?? []),
          quantileValues: Float64Array.from(s.quantileValues ?? []),
        })),
      };
    });
    out.push({
      descriptor: wireDescriptor({
        name: REJECTED,
        help: 'Calls the engine refused, by reason.',
        unit: '',
        kind: 'counter',
        labelNames: ['reason'],
      }),
      series: [...refused].map(([reason, value]) => ({
        labels: [{ name: 'reason', value: reason }],
        value,
        count: 0,
        sum: 0,
        bucketCounts: new Float64Array(0),
        quantileValues: new Float64Array(0),
      })),
    });
    return out;
  },
};
