/**
 * Series storage against a model: random sequences of recordings (labelled
 * and through kept handles), remove(), reset() and collections that expire
 * idle series must give the readings a plain map of series would. Series
 * share storage (histogram counts live in one column per family, ranges of
 * removed series are reused), so a handle the user kept after its series was
 * removed or expired must never write into another series' values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/index.js';
import { ManualClock } from '../support/backend-cases.js';

type Kind = 'counter' | 'gauge' | 'histogram';
const BOUNDS = [1, 5];
const TTL_SECONDS = 60;

/** One series of the model: its numbers (value, or bucket counts then sum then count) and its state. */
interface ModelSeries {
  key: string;
  data: number[];
  bound: boolean;
  touched: boolean;
  activeAtMs: number;
}

const fresh = (kind: Kind, key: string, nowMs: number): ModelSeries => ({
  key,
  data: kind === 'histogram' ? new Array(BOUNDS.length + 3).fill(0) : [0],
  bound: false,
  touched: false,
  activeAtMs: Math.ceil(nowMs),
});

function apply(kind: Kind, m: ModelSeries, v: number, set: boolean): void {
  m.touched = true;
  if (kind !== 'histogram') {
    m.data[0] = set ? v : m.data[0]! + v;
    return;
  }
  let i = 0;
  while (i < BOUNDS.length && v > BOUNDS[i]!) i++;
  m.data[i]!++;
  m.data[BOUNDS.length + 1]! += v;
  m.data[BOUNDS.length + 2]!++;
}

const key = (a: string, b: string) => `${a}|${b}`;
const labelPair = fc.tuple(fc.constantFrom('x', 'y', 'z'), fc.constantFrom('1', '2'));
const value = fc.constantFrom(0.5, 1, 2.25, 3, 7);
const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('rec' as const), l: labelPair, v: value }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('bind' as const), l: labelPair }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('hrec' as const), h: fc.nat(), v: value }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), l: labelPair }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reset' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('collect' as const), s: fc.constantFrom(0, 30, 61) }) },
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function check(kind: Kind, ops: Op[]): Promise<void> {
  const clock = new ManualClock();
  const metrics = createMetrics({ clock, seriesTtlSeconds: TTL_SECONDS });
  const opts = { help: 'h', labelNames: ['a', 'b'] as const, buckets: BOUNDS };
  const family = metrics[kind](`m_${kind}`, opts);
  const table = new Map<string, ModelSeries>();
  const retired = new Map<string, ModelSeries>();
  const handles: { m: ModelSeries; h: { inc?(v: number): void; observe?(v: number): void } }[] = [];

  /** Where a recording by labels lands: the live series, a reinstated expired one the user kept, or a new one. */
  const resolve = (k: string): ModelSeries => {
    let m = table.get(k);
    if (m) return m;
    m = retired.get(k);
    if (m) {
      retired.delete(k);
      m.activeAtMs = Number.NEGATIVE_INFINITY;
    } else m = fresh(kind, k, clock.now());
    table.set(k, m);
    return m;
  };
  const record = (h: { inc?(v: number): void; observe?(v: number): void }, v: number) => (kind === 'histogram' ? h.observe!(v) : h.inc!(v));

  for (const o of ops) {
    if (o.t === 'rec') {
      const labels = { a: o.l[0], b: o.l[1] };
      const m = resolve(key(...o.l));
      if (kind === 'counter') (family as ReturnType<typeof metrics.counter>).inc(labels, o.v);
      else if (kind === 'gauge') (family as ReturnType<typeof metrics.gauge>).set(labels, o.v);
      else (family as ReturnType<typeof metrics.histogram>).observe(labels, o.v);
      apply(kind, m, o.v, kind === 'gauge');
    } else if (o.t === 'bind') {
      const m = resolve(key(...o.l));
      m.bound = true;
      handles.push({ m, h: family.labels({ a: o.l[0], b: o.l[1] }) as never });
    } else if (o.t === 'hrec') {
      if (handles.length === 0) continue;
      const { m, h } = handles[o.h % handles.length]!;
      record(h, o.v);
      apply(kind, m, o.v, false);
    } else if (o.t === 'remove') {
      const k = key(...o.l);
      family.remove({ a: o.l[0], b: o.l[1] });
      table.delete(k);
      retired.delete(k);
    } else if (o.t === 'reset') {
      family.reset();
      table.clear();
      retired.clear();
    } else {
      clock.advance(o.s);
      const now = clock.now();
      for (const [k, m] of retired) {
        if (!m.touched) continue;
        retired.delete(k);
        m.activeAtMs = Number.NEGATIVE_INFINITY;
        table.set(k, m);
      }
      for (const [k, m] of table) {
        if (m.touched) [m.touched, m.activeAtMs] = [false, now];
        else if (now - m.activeAtMs >= TTL_SECONDS * 1000) {
          table.delete(k);
          if (m.bound) retired.set(k, m);
        }
      }
      const snapshot = (await metrics.registry.collect()).find((f) => f.name === `m_${kind}`)!;
      const got = Object.fromEntries(
        snapshot.series.map((s) => {
          const l = Object.fromEntries(s.labels);
          const data = kind === 'histogram' ? [...s.bucketCounts!, s.sum!, s.count!] : [s.value!];
          return [key(l.a!, l.b!), data];
        }),
      );
      expect(got).toEqual(Object.fromEntries([...table].map(([k, m]) => [k, m.data])));
    }
  }
  await metrics.shutdown();
}

describe('series storage against a model', () => {
  for (const kind of ['counter', 'gauge', 'histogram'] as const) {
    it(`${kind}: create, record, bind, remove, reset and expire give the model's readings`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 60 }), (ops) => check(kind, [...ops, { t: 'collect', s: 0 }])),
        { numRuns: 200 },
      );
    });
  }
});

describe('gauges that are their own cell', () => {
  it('take what the merge port combines without the handle check: a sum of shares may overflow to Infinity', async () => {
    const metrics = createMetrics();
    for (const session of [metrics.merge.open({ gaugePolicy: 'sum' }), metrics.merge.open({ gaugePolicy: 'sum' })]) {
      const metric = session.register({ name: 'shared', kind: 'gauge', help: 'h', unit: '', labelNames: ['k'] }) as number;
      expect(session.apply(session.series(metric, ['x']) as number, 'set', 0, 1e308)).toBeUndefined();
    }
    const family = (await metrics.registry.collect()).find((f) => f.name === 'shared')!;
    expect(family.series.map((s) => s.value)).toEqual([Number.POSITIVE_INFINITY]);
    await metrics.shutdown();
  });
});

describe('created timestamps', () => {
  it('are the creation time in whole milliseconds since the epoch, for every type that has one', async () => {
    const metrics = createMetrics();
    const before = Date.now();
    metrics.counter('c_total', { help: 'h', labelNames: ['k'] as const }).inc({ k: 'a' });
    metrics.histogram('h', { help: 'h', labelNames: ['k'] as const }).observe({ k: 'a' }, 1);
    const after = Date.now();
    const families = (await metrics.registry.collect()).filter((f) => f.name === 'c' || f.name === 'h');
    expect(families).toHaveLength(2);
    for (const f of families) {
      const created = f.series[0]!.createdMs!;
      expect(Number.isInteger(created) && created >= before && created <= after, `${f.name}: ${created}`).toBe(true);
    }
    await metrics.shutdown();
  });
});
