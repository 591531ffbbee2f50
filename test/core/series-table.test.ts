import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SeriesBase, SeriesTable } from '../../src/core/series-table.js';
import { TupleIndex } from '../../src/core/tuple-index.js';

interface TestSeries extends SeriesBase {
  id: number;
}

function table(labelNames: string[], maxSeries = 1000) {
  let next = 0;
  let overflows = 0;
  const t = new SeriesTable<TestSeries>({
    metric: 'm',
    labelNames,
    maxSeries,
    create: (labelValues) => ({ id: next++, labelValues, key: labelValues, touched: false, bound: false, activeAtMs: 0 }),
    createOverflow: () => ({ id: -1, labelValues: [], key: [], touched: false, bound: false, activeAtMs: 0 }),
    onOverflow: () => overflows++,
    destroy: () => {},
  });
  return { t, overflows: () => overflows };
}

const outcome = (fn: () => TestSeries) => {
  try {
    return { series: fn() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('SeriesTable lookups', () => {
  it('the compiled fast path and the generic path (used under CSP) agree on every input', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.integer({ min: -3, max: 3 }),
      fc.boolean(),
      fc.constant(undefined),
      fc.constant(null),
    );
    const labels = fc.record({ a: value, b: value, c: value }, { requiredKeys: [] });
    const extra = fc.option(fc.constantFrom('d', 'zz'), { nil: undefined });
    fc.assert(
      fc.property(fc.array(fc.tuple(labels, extra), { maxLength: 40 }), (calls) => {
        const fast = table(['a', 'b']);
        const slow = table(['a', 'b']);
        expect(fast.t.get).not.toBe(slow.t.lookup); // really compiled
        for (const [l, x] of calls) {
          const input = x ? { ...l, [x]: 'v' } : l;
          const f = outcome(() => fast.t.get(input as never));
          const s = outcome(() => slow.t.lookup(input as never));
          expect(f.error).toBe(s.error);
          expect(f.series?.id).toBe(s.series?.id);
          expect(f.series?.labelValues).toEqual(s.series?.labelValues);
        }
        expect(fast.t.size).toBe(slow.t.size);
      }),
      { numRuns: 300 },
    );
  });

  it('prunes emptied maps on removal and counts overflow recordings', () => {
    const { t, overflows } = table(['a', 'b'], 2);
    t.get({ a: 'x', b: '1' });
    t.get({ a: 'x', b: '2' });
    expect(t.get({ a: 'y', b: '1' }).id).toBe(-1);
    expect(overflows()).toBe(1);
    t.remove({ a: 'x', b: '1' });
    t.remove({ a: 'x', b: '2' });
    expect(t.interned.map((i) => i.ids.size)).toEqual([0, 0]);
    expect(t.get({ a: 'y', b: '1' }).id).toBe(2);
  });
});

describe('SeriesTable index (interned ids, open addressing)', () => {
  type Op =
    | { op: 'get'; a: string; b: string }
    | { op: 'remove'; a: string; b: string }
    | { op: 'touch'; a: string; b: string }
    | { op: 'sweep' };
  // Few distinct values make id tuples and hash slots collide often; many operations force growth, rehash and compaction.
  const value = fc.oneof(fc.constantFrom('x', 'y', 'z', ''), fc.integer({ min: 0, max: 300 }).map(String));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('get' as const), a: value, b: value }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('remove' as const), a: value, b: value }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('touch' as const), a: value, b: value }) },
    { weight: 1, arbitrary: fc.constant({ op: 'sweep' as const }) },
  );

  it('finds the same series as a Map keyed by the label tuple, in creation order, through inserts, removals and expiry', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const { t } = table(['a', 'b'], 1_000_000);
        const model = new Map<string, TestSeries>();
        const key = (a: string, b: string) => JSON.stringify([a, b]);
        let clock = 0;
        for (const o of ops) {
          if (o.op === 'get') {
            const s = t.get({ a: o.a, b: o.b });
            const known = model.get(key(o.a, o.b));
            if (known) expect(s).toBe(known);
            else {
              expect(s.labelValues).toEqual([o.a, o.b]);
              model.set(key(o.a, o.b), s);
            }
          } else if (o.op === 'remove') {
            t.remove({ a: o.a, b: o.b });
            model.delete(key(o.a, o.b));
          } else if (o.op === 'touch') {
            const s = model.get(key(o.a, o.b));
            if (s) s.touched = true;
          } else {
            clock += 10;
            t.sweep(clock, 10);
            for (const [k, s] of model) if (!s.touched && clock - s.activeAtMs >= 10) model.delete(k);
            for (const s of model.values()) if (s.touched) [s.touched, s.activeAtMs] = [false, clock];
          }
          expect(t.size).toBe(model.size);
        }
        // Creation order survives holes and compaction; every live series is found again.
        expect([...t.all()]).toEqual([...model.values()]);
        for (const [k, s] of model) {
          const [a, b] = JSON.parse(k) as [string, string];
          expect(t.get({ a, b })).toBe(s);
        }
        // Interned values no live series carries are freed.
        const live = [...model.values()];
        expect(t.interned[0]!.ids.size).toBe(new Set(live.map((s) => s.labelValues[0])).size);
        expect(t.interned[1]!.ids.size).toBe(new Set(live.map((s) => s.labelValues[1])).size);
      }),
      { numRuns: 200 },
    );
  });

  it('clear() empties the index and the interned values; handles kept leave with their labels; the table fills again', () => {
    const { t } = table(['a', 'b'], 1_000_000);
    const kept = [t.get({ a: 'x', b: '1' }), t.get({ a: 'y', b: '2' })];
    t.clear();
    expect(t.size).toBe(0);
    expect([...t.all()]).toEqual([]);
    expect(t.interned.map((i) => i.ids.size)).toEqual([0, 0]);
    expect(kept.map((s) => s.key)).toEqual([
      ['x', '1'],
      ['y', '2'],
    ]);
    const again = t.get({ a: 'x', b: '1' });
    expect(again).not.toBe(kept[0]);
    expect(t.get({ a: 'x', b: '1' })).toBe(again);
    expect(typeof again.key).toBe('number');
  });

  it('keeps every series through growth, mass removal and compaction, and iterations in progress see no duplicates', () => {
    const { t } = table(['a', 'b'], 1_000_000);
    const made = [];
    for (let i = 0; i < 5000; i++) made.push(t.get({ a: String(i % 97), b: String(i) }));
    const seen = new Set<TestSeries>();
    const reading = t.all();
    for (let i = 0; i < 100; i++) seen.add(reading.next().value as TestSeries);
    // Removing most series while an iteration is open must not renumber slots under it.
    for (let i = 0; i < 5000; i += 1) if (i % 10 !== 0) t.remove({ a: String(i % 97), b: String(i) });
    for (let i = 5000; i < 5200; i++) made.push(t.get({ a: String(i % 97), b: String(i) }));
    for (let r = reading.next(); !r.done; r = reading.next()) {
      expect(seen.has(r.value)).toBe(false);
      seen.add(r.value);
    }
    // After the iteration ended, an insert compacts: order and lookups are unchanged.
    made.push(t.get({ a: 'new', b: 'new' }));
    const alive = made.filter((s, i) => i >= 5000 || i % 10 === 0);
    expect([...t.all()]).toEqual(alive);
    expect(t.ix.end).toBe(alive.length);
    for (const s of alive) expect(t.get({ a: s.labelValues[0]!, b: s.labelValues[1]! })).toBe(s);
    expect(t.size).toBe(alive.length);
  });
});

describe('SeriesTable index layouts (dense packed ids, hash above the limit)', () => {
  it('a lookup function kept across layout changes (the OTel bridge keeps table.get) finds the live series', () => {
    const { t } = table(['a', 'b'], 1_000_000);
    const get = t.get;
    const first = get({ a: 'x', b: '1' });
    // Dense, then hash (b gets a value per series), compaction after the removals.
    for (let i = 0; i < 500; i++) get({ a: String(i % 50), b: String(i) });
    t.remove({ a: 'x', b: '1' });
    for (let i = 0; i < 400; i++) t.remove({ a: String(i % 50), b: String(i) });
    get({ a: 'y', b: 'y' });
    const again = get({ a: 'x', b: '1' });
    expect(again).not.toBe(first);
    expect(again.labelValues).toEqual(['x', '1']);
    for (let i = 400; i < 500; i++) expect(objectsOf(t)[get({ a: String(i % 50), b: String(i) }).key as number]).toBeDefined();
    expect(t.size).toBe(102);
    expect(get).toBe(t.get);
  });

  type Op = { op: 'get' | 'remove' | 'touch' | 'bind'; a: string; b: string; c: string } | { op: 'sweep' | 'step' | 'close' };
  // Eight values for a and b, two for c: 3 + 3 + 1 bits, 128 packed positions. With the floor lowered to 8 the
  // layout goes hash while the first values arrive faster than series (the packed space outgrows 4 per series)
  // and dense again once the series count catches up; removals, expiry and compaction happen in either.
  const value = fc.constantFrom('x', 'y', 'z', '', '0', '1', '2', '3');
  const small = fc.constantFrom('x', 'y');
  const keyed = (op: 'get' | 'remove' | 'touch' | 'bind') => fc.record({ op: fc.constant(op), a: value, b: value, c: small });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: keyed('get') },
    { weight: 3, arbitrary: keyed('remove') },
    { weight: 2, arbitrary: keyed('touch') },
    { weight: 2, arbitrary: keyed('bind') },
    { weight: 1, arbitrary: fc.constant({ op: 'sweep' as const }) },
    { weight: 3, arbitrary: fc.constant({ op: 'step' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'close' as const }) },
  );
  const transitions = { toHash: 0, toDense: 0 };

  it('behaves as a Map model through layout switches while iterating, removal, expiry and reinstated handles', () => {
    // A small floor lets a few hundred operations cross the dense limit both ways (the space outgrows it, then the series count catches up).
    const floor = TupleIndex.floor;
    TupleIndex.floor = 8;
    try {
      fc.assert(
        // size 'max': the default size would keep arrays short, too short to outgrow the dense layout.
        fc.property(fc.array(op, { maxLength: 400, size: 'max' }), (ops) => {
          const { t } = table(['a', 'b', 'c'], 1_000_000);
          const model = new Map<string, TestSeries>();
          /** Bound series that expired: the table parks them, a later get or a touch brings back the same object. */
          const parked = new Map<string, TestSeries>();
          const key = (o: { a: string; b: string; c: string }) => JSON.stringify([o.a, o.b, o.c]);
          const keyOf = (s: TestSeries) => JSON.stringify(s.labelValues);
          /** An open all(): what it yielded (series and label keys), what it must still yield, and series that (re)entered the table meanwhile, which it must not yield. */
          let reading:
            | { it: Generator<TestSeries>; seen: Set<TestSeries>; seenKeys: Set<string>; owed: Set<TestSeries>; entered: Set<TestSeries> }
            | undefined;
          let clock = 0;
          let dense = t.ix.shifts !== null;
          const leave = (s: TestSeries) => reading?.owed.delete(s);
          for (const o of ops) {
            if (o.op === 'get') {
              const s = t.get({ a: o.a, b: o.b, c: o.c });
              const k = key(o);
              const known = model.get(k) ?? parked.get(k);
              if (known) expect(s).toBe(known);
              else expect(s.labelValues).toEqual([o.a, o.b, o.c]);
              if (parked.delete(k)) s.activeAtMs = Number.NEGATIVE_INFINITY;
              if (!model.has(k)) reading?.entered.add(s);
              if (!model.has(k)) model.set(k, s);
            } else if (o.op === 'remove') {
              t.remove({ a: o.a, b: o.b, c: o.c });
              const s = model.get(key(o));
              if (s) leave(s);
              model.delete(key(o));
              parked.delete(key(o));
            } else if (o.op === 'touch' || o.op === 'bind') {
              const s = model.get(key(o)) ?? parked.get(key(o));
              if (s && o.op === 'touch') s.touched = true;
              if (s && o.op === 'bind') s.bound = true;
            } else if (o.op === 'sweep') {
              // The model and the table share the series objects: read what the sweep will change first.
              const touched = new Set([...model.values(), ...parked.values()].filter((s) => s.touched));
              clock += 10;
              t.sweep(clock, 10);
              for (const [k, s] of parked) {
                if (!touched.has(s)) continue;
                parked.delete(k);
                reading?.entered.add(s);
                model.set(k, s);
              }
              for (const [k, s] of model) {
                if (touched.has(s)) expect([s.touched, s.activeAtMs]).toEqual([false, clock]);
                else if (clock - s.activeAtMs >= 10) {
                  model.delete(k);
                  leave(s);
                  if (s.bound) parked.set(k, s);
                }
              }
            } else if (o.op === 'step') {
              reading ??= { it: t.all(), seen: new Set(), seenKeys: new Set(), owed: new Set(model.values()), entered: new Set() };
              const r = reading.it.next();
              if (r.done) {
                // Every series live from the start of the iteration to its end was read.
                for (const s of reading.owed) expect(reading.seen.has(s)).toBe(true);
                reading = undefined;
              } else {
                // One exposition never shows a label set twice, even if its series left and came back meanwhile.
                expect(reading.entered.has(r.value)).toBe(false);
                expect(reading.seenKeys.has(keyOf(r.value))).toBe(false);
                expect(model.get(keyOf(r.value))).toBe(r.value);
                reading.seen.add(r.value);
                reading.seenKeys.add(keyOf(r.value));
              }
            } else {
              reading?.it.return(undefined);
              reading = undefined;
            }
            if (dense !== (t.ix.shifts !== null)) {
              dense = !dense;
              transitions[dense ? 'toDense' : 'toHash']++;
            }
            expect(t.size).toBe(model.size);
          }
          reading?.it.return(undefined);
          expect(t.ix.readers).toBe(0);
          // Creation order (a reinstated series goes last), slots and lookups agree with the model in either layout.
          const live = [...t.all()];
          expect(new Set(live)).toEqual(new Set(model.values()));
          for (const [k, s] of model) {
            expect(objectsOf(t)[s.key as number]).toBe(s);
            const [a, b, c] = JSON.parse(k) as [string, string, string];
            expect(t.get({ a, b, c })).toBe(s);
            expect(t.lookup({ a, b, c })).toBe(s);
          }
          for (const [k, s] of parked) expect(s.key).toEqual(JSON.parse(k));
          // Interned values no live series carries are freed.
          for (let j = 0; j < 3; j++) expect(t.interned[j]!.ids.size).toBe(new Set(live.map((s) => s.labelValues[j])).size);
        }),
        { numRuns: 150 },
      );
    } finally {
      TupleIndex.floor = floor;
    }
    // Both switches happened across the runs: the property covered each layout and the way between them.
    expect(transitions.toHash).toBeGreaterThan(0);
    expect(transitions.toDense).toBeGreaterThan(0);
  });

  it('packs ids densely while few values per label span the space, and stays within 4 positions per series', () => {
    const { t } = table(['route', 'code'], 1_000_000);
    for (let i = 0; i < 1000; i++) t.get({ route: `/r/${i % 100}`, code: String(200 + Math.floor(i / 100)) });
    expect(t.ix.shifts).not.toBeNull();
    expect(t.ix.index.length).toBe(128 * 16);
    // A label with a new value per series makes the packed space sparse: the hash layout takes over.
    for (let i = 0; i < 1000; i++) t.get({ route: `/u/${i}`, code: `c${i}` });
    expect(t.ix.shifts).toBeNull();
    expect(t.ix.index.length).toBeLessThanOrEqual(4 * t.size);
    for (let i = 0; i < 1000; i++) expect(t.get({ route: `/u/${i}`, code: `c${i}` }).labelValues).toEqual([`/u/${i}`, `c${i}`]);
    for (let i = 0; i < 1000; i++)
      expect(t.get({ route: `/r/${i % 100}`, code: String(200 + Math.floor(i / 100)) }).labelValues[0]).toBe(`/r/${i % 100}`);
  });
});

/** The table's series per slot (protected: what the index's slots hold in an object table). */
function objectsOf(t: object): readonly unknown[] {
  return (t as { objects: readonly unknown[] }).objects;
}
