/**
 * Behaviour every backend must show at the public API. Parameterised by
 * backend: a new backend passes this suite or it is not done. It runs in
 * Node (instruments.test.ts) and in Chromium (instruments.browser.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/index.js';
import { type BackendCase, ManualClock, metricsOn } from '../support/backend-cases.js';
import { family, labelsOf, series, value } from '../support/read.js';

export function conformanceSuite(backends: BackendCase[]): void {
  describe.each(backends)('$name backend', (backend) => {
    beforeEach(async () => backend.prepare?.());
    afterEach(async () => backend.verify?.());

    describe('counter', () => {
      it('sums increments per label set, through inc(labels) and bound handles alike', async () => {
        const m = metricsOn(backend, { prefix: 'mcp_', defaultLabels: { service: 'demo' } });
        const calls = m.counter('tool_calls_total', { help: 'Tool calls', labelNames: ['tool_name', 'status'] as const });
        calls.inc({ tool_name: 'search', status: 'ok' });
        const ok = calls.labels({ tool_name: 'search', status: 'ok' });
        ok.inc();
        ok.inc(2.5);
        calls.inc({ tool_name: 'search', status: 'error' }, 3);
        expect(await value(m, 'mcp_tool_calls', { status: 'ok' })).toBe(4.5);
        expect(await value(m, 'mcp_tool_calls', { status: 'error' })).toBe(3);
        const s = await series(m, 'mcp_tool_calls', { status: 'ok' });
        expect(s.labels).toEqual([
          ['service', 'demo'],
          ['tool_name', 'search'],
          ['status', 'ok'],
        ]);
      });

      it('exposes an unlabelled counter as 0 before its first increment', async () => {
        const m = metricsOn(backend);
        m.counter('jobs_total', { help: 'Jobs' });
        expect(await value(m, 'jobs')).toBe(0);
      });

      it.each([-1, NaN, Infinity, -Infinity])('rejects an increment of %s with a clear error', (bad) => {
        const m = metricsOn(backend);
        const c = m.counter('jobs_total', { help: 'Jobs' });
        expect(() => c.inc(bad)).toThrowError(/jobs: counter increments must be finite and >= 0/);
        expect(() => c.labels({ x: '1' } as never)).toThrowError(/jobs: declares no labels/);
        expect(() => c.inc(-1)).toThrow(MetricsError);
      });

      it('in lenient mode drops invalid values and labels and counts them', async () => {
        const m = metricsOn(backend, { mode: 'lenient' });
        const c = m.counter('jobs_total', { help: 'Jobs', labelNames: ['queue'] as const });
        c.inc({ queue: 'a' }, -5);
        c.inc({ queue: 'a' }, NaN);
        c.inc({ nope: 'x' } as never);
        c.inc({ queue: 'a' });
        expect(await value(m, 'jobs', { queue: 'a' })).toBe(1);
        expect(await value(m, 'omnimeter_dropped_recordings', { metric: 'jobs', reason: 'invalid_value' })).toBe(2);
        expect(await value(m, 'omnimeter_dropped_recordings', { metric: 'jobs', reason: 'invalid_labels' })).toBe(1);
        expect((await family(m, 'jobs')).series).toHaveLength(1);
      });

      it('remove() and reset() forget series; a handle to an unlabelled counter survives reset', async () => {
        const m = metricsOn(backend);
        const c = m.counter('hits_total', { help: 'h', labelNames: ['path'] as const });
        c.inc({ path: '/a' });
        c.inc({ path: '/b' });
        c.remove({ path: '/a' });
        expect((await family(m, 'hits')).series.map((s) => labelsOf(s).path)).toEqual(['/b']);
        c.reset();
        expect((await family(m, 'hits')).series).toHaveLength(0);
        const u = m.counter('plain_total', { help: 'p' });
        u.inc(5);
        u.reset();
        u.inc();
        expect(await value(m, 'plain')).toBe(1);
      });
    });

    describe('labels', () => {
      it('checks label objects against labelNames: missing, unknown, wrong type', () => {
        const m = metricsOn(backend);
        const c = m.counter('req_total', { help: 'r', labelNames: ['method', 'code'] as const });
        expect(() => c.inc({ method: 'GET' } as never)).toThrowError(/req: missing label "code"/);
        expect(() => c.inc({ method: 'GET', code: '200', extra: 'x' } as never)).toThrowError(/unknown label "extra"/);
        expect(() => c.inc({ method: 'GET', code: { bad: 1 } } as never)).toThrowError(/label "code" must be a string/);
        expect(() => c.inc(undefined as never)).toThrowError(/expected a labels object/);
        // A known label set followed by an extra key is still caught on the fast path.
        c.inc({ method: 'GET', code: '200' });
        expect(() => c.inc({ method: 'GET', code: '200', extra: 'x' } as never)).toThrowError(/unknown label "extra"/);
      });

      it('accepts numbers and booleans as values, meaning their string form', async () => {
        const m = metricsOn(backend);
        const c = m.counter('codes_total', { help: 'c', labelNames: ['code', 'ok'] as const });
        c.inc({ code: 200, ok: true });
        c.inc({ code: '200', ok: 'true' });
        expect(await value(m, 'codes', { code: '200', ok: 'true' })).toBe(2);
      });

      it('validates label names at registration', () => {
        const m = metricsOn(backend);
        expect(() => m.counter('a_total', { help: 'a', labelNames: ['1bad'] })).toThrowError(/label name "1bad" is invalid/);
        expect(() => m.counter('b_total', { help: 'b', labelNames: ['__x'] })).toThrowError(/reserved/);
        expect(() => m.histogram('c', { help: 'c', labelNames: ['le'] })).toThrowError(/"le" is reserved for histograms/);
        expect(() => m.summary('d', { help: 'd', labelNames: ['quantile'] })).toThrowError(/"quantile" is reserved for summaries/);
        expect(() => m.counter('e_total', { help: 'e', labelNames: ['x', 'x'] })).toThrowError(/declared twice/);
        const withDefaults = metricsOn(backend, { defaultLabels: { service: 's' } });
        expect(() => withDefaults.counter('f_total', { help: 'f', labelNames: ['service'] })).toThrowError(/already a default label/);
      });

      it('stores label values as well-formed unicode so exposition round-trips', async () => {
        const m = metricsOn(backend);
        const c = m.counter('u_total', { help: 'u', labelNames: ['v'] as const });
        c.inc({ v: 'a\uD800b' });
        c.inc({ v: 'a\uFFFDb' });
        expect(await value(m, 'u', { v: 'a\uFFFDb' })).toBe(2);
      });
    });

    describe('registration', () => {
      it('returns the existing metric for the same shape and refuses a different one', () => {
        const m = metricsOn(backend);
        const a = m.counter('x_total', { help: 'x', labelNames: ['a'] });
        expect(m.counter('x_total', { help: 'x', labelNames: ['a'] })).toBe(a);
        expect(m.counter('x', { help: 'x', labelNames: ['a'] })).toBe(a);
        expect(() => m.counter('x_total', { help: 'x', labelNames: ['b'] })).toThrowError(/already registered as counter/);
        expect(() => m.gauge('x', { help: 'x', labelNames: ['a'] })).toThrowError(/already registered as counter/);
      });

      it('refuses names whose samples would collide with another metric', () => {
        const m = metricsOn(backend);
        m.histogram('latency', { help: 'l' });
        expect(() => m.gauge('latency_count', { help: 'c' })).toThrowError(/samples named "latency_count"/);
        m.gauge('queue_total', { help: 'q' });
        expect(() => m.counter('queue', { help: 'q' })).toThrowError(/queue_total/);
      });

      it('validates metric names, help and units', () => {
        const m = metricsOn(backend);
        expect(() => m.counter('bad name', { help: 'x' })).toThrowError(/metric name "bad name" is invalid/);
        expect(() => m.counter('1st', { help: 'x' })).toThrowError(/metric name "1st" is invalid/);
        expect(() => m.counter('__x', { help: 'x' })).toThrowError(/reserved/);
        expect(() => m.gauge('g', {} as never)).toThrowError(/g: help: expected a string/);
        expect(() => m.gauge('size', { help: 's', unit: 'bytes' })).toThrowError(/unit "bytes" must be the suffix/);
        expect(m.gauge('size_bytes', { help: 's', unit: 'bytes' }).name).toBe('size_bytes');
      });

      it('names the option and the value in option errors', () => {
        const m = metricsOn(backend);
        expect(() => m.histogram('h', { help: 'h', buckets: [1, 1] })).toThrowError(
          'histogram "h": buckets: expected strictly ascending bucket bounds, got [1,1]',
        );
        expect(() => m.histogram('h2', { help: 'h', buckets: [1, NaN] })).toThrowError(/buckets\[1\]: expected a finite number, got NaN/);
        expect(() => m.summary('s', { help: 's', quantiles: [1.5] })).toThrowError(
          /quantiles\[0\]: expected a number in \[0, 1\], got 1.5/,
        );
        expect(() => m.summary('s2', { help: 's', maxAgeSeconds: 0 })).toThrowError(/maxAgeSeconds: expected a finite number > 0, got 0/);
        expect(() => metricsOn(backend, { maxSeriesPerMetric: 0 })).toThrowError(
          /createMetrics: maxSeriesPerMetric: expected an integer >= 1, got 0/,
        );
        expect(() => metricsOn(backend, { bogus: 1 } as never)).toThrowError(/createMetrics: bogus/);
      });
    });

    describe('gauge', () => {
      it('sets, increments and decrements; refuses non-finite values', async () => {
        const m = metricsOn(backend);
        const g = m.gauge('temp', { help: 't', labelNames: ['room'] as const });
        g.set({ room: 'a' }, 20);
        g.inc({ room: 'a' }, 2.5);
        g.dec({ room: 'a' });
        g.labels({ room: 'b' }).dec(4);
        expect(await value(m, 'temp', { room: 'a' })).toBe(21.5);
        expect(await value(m, 'temp', { room: 'b' })).toBe(-4);
        expect(() => g.set({ room: 'a' }, Infinity)).toThrowError(/gauge values must be finite/);
      });

      it('refreshes through a collect callback before every collection', async () => {
        const m = metricsOn(backend);
        let calls = 0;
        m.gauge('queue_depth', {
          help: 'q',
          collect() {
            this.set(++calls * 10);
          },
        });
        expect(await value(m, 'queue_depth')).toBe(10);
        expect(await value(m, 'queue_depth')).toBe(20);
      });

      it('counts a throwing collect callback and keeps the last value', async () => {
        const m = metricsOn(backend);
        let fail = false;
        m.gauge('flaky', {
          help: 'f',
          async collect(g) {
            if (fail) throw new Error('boom');
            g.set(7);
          },
        });
        expect(await value(m, 'flaky')).toBe(7);
        fail = true;
        const families = await m.registry.collect();
        const read = (name: string) => families.find((f) => f.name === name)!.series[0]!.value;
        expect(read('flaky')).toBe(7);
        expect(read('omnimeter_collect_errors')).toBe(1);
      });
    });

    describe('histogram', () => {
      it('counts observations into buckets (upper bound inclusive), with sum and count', async () => {
        const m = metricsOn(backend);
        const h = m.histogram('size_bytes', { help: 's', buckets: [64, 256, 1024] });
        for (const v of [1, 64, 65, 300, 1024, 5000]) h.observe(v);
        const s = await series(m, 'size_bytes');
        expect(s.bucketCounts).toEqual([2, 1, 2, 1]);
        expect(s.count).toBe(6);
        expect(s.sum).toBe(1 + 64 + 65 + 300 + 1024 + 5000);
      });

      it('uses the Prometheus default buckets and finds buckets by binary search for long lists', async () => {
        const m = metricsOn(backend);
        expect((await family(m.histogram('d', { help: 'd' }) && m, 'd')).buckets).toEqual([
          0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        ]);
        const bounds = Array.from({ length: 40 }, (_, i) => i + 1);
        const h = m.histogram('long', { help: 'l', buckets: bounds });
        for (let v = 0.5; v <= 41; v += 0.5) h.observe(v);
        const counts = (await series(m, 'long')).bucketCounts!;
        expect(counts[0]).toBe(2); // 0.5, 1
        expect(counts.slice(1, 40).every((c) => c === 2)).toBe(true);
        expect(counts[40]).toBe(2); // 40.5, 41
      });

      it('rejects NaN and infinite observations', () => {
        const m = metricsOn(backend);
        const h = m.histogram('h', { help: 'h' });
        expect(() => h.observe(NaN)).toThrowError(/observed values must be finite/);
      });
    });

    describe('summary', () => {
      it('reports quantiles within 1% and NaN for an empty window', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock });
        const s = m.summary('latency_seconds', { help: 'l', quantiles: [0.5, 0.9, 0.99], maxAgeSeconds: 60, ageBuckets: 5 });
        let snap = await series(m, 'latency_seconds');
        expect(snap.quantileValues!.every(Number.isNaN)).toBe(true);
        for (let i = 1; i <= 10_000; i++) s.observe(i / 1000);
        snap = await series(m, 'latency_seconds');
        const exact = [5.0005, 9.0001, 9.9001];
        snap.quantileValues!.forEach((q, i) => expect(Math.abs(q - exact[i]!) / exact[i]!).toBeLessThan(0.01));
        expect(snap.count).toBe(10_000);
        expect(snap.sum).toBeCloseTo(50_005, 6);
      });

      it('forgets observations older than maxAgeSeconds but keeps count and sum', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock });
        const s = m.summary('rt', { help: 'r', quantiles: [0.5], maxAgeSeconds: 10, ageBuckets: 5 });
        s.observe(100);
        clock.advance(5);
        s.observe(1);
        s.observe(1);
        expect((await series(m, 'rt')).quantileValues![0]).toBeCloseTo(1, 1);
        clock.advance(6); // the 100 is now 11 s old, the 1s 6 s old
        s.observe(2);
        const snap = await series(m, 'rt');
        expect(snap.quantileValues![0]).toBeLessThan(3);
        clock.advance(60);
        expect((await series(m, 'rt')).quantileValues![0]).toBeNaN();
        expect((await series(m, 'rt')).count).toBe(4);
      });

      it('rejects negative observations (OpenMetrics forbids negative quantiles)', () => {
        const m = metricsOn(backend);
        expect(() => m.summary('s', { help: 's' }).observe(-1)).toThrowError(/summary observations must be finite and >= 0/);
      });
    });

    describe('timer', () => {
      it('records seconds from start() to stop(), with labels split between the two', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock });
        const t = m.timer('op_seconds', { help: 'o', labelNames: ['op', 'status'] as const, buckets: [0.1, 1, 10] });
        const stop = t.start({ op: 'read' });
        clock.advance(0.25);
        expect(stop({ status: 'ok' })).toBeCloseTo(0.25, 9);
        const s = await series(m, 'op_seconds', { op: 'read', status: 'ok' });
        expect(s.bucketCounts).toEqual([0, 1, 0, 0]);
        expect((await family(m, 'op_seconds')).unit).toBe('seconds');
      });

      it('times sync and async functions, including ones that throw or reject', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock });
        const t = m.timer('work_seconds', { help: 'w', buckets: [1, 2, 3] });
        expect(t.time(() => (clock.advance(0.5), 42))).toBe(42);
        await expect(
          t.time(async () => {
            clock.advance(1.5);
            throw new Error('no');
          }),
        ).rejects.toThrow('no');
        expect(() =>
          t.time(() => {
            clock.advance(2.5);
            throw new Error('sync');
          }),
        ).toThrow('sync');
        const s = await series(m, 'work_seconds');
        expect(s.bucketCounts).toEqual([1, 1, 1, 0]);
        expect(s.sum).toBeCloseTo(4.5, 9);
      });

      it('can record into a summary', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock });
        const t = m.timer('q_seconds', { help: 'q', type: 'summary', quantiles: [0.5] });
        const h = t.labels({} as never);
        const stop = h.start();
        clock.advance(2);
        stop();
        expect((await family(m, 'q_seconds')).type).toBe('summary');
        expect((await series(m, 'q_seconds')).quantileValues![0]).toBeCloseTo(2, 1);
      });

      it('times methods through the @timed decorator', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock });
        class Service {
          factor = 2;
          @m.timed('service_call_seconds', { buckets: [1, 5] })
          async call(x: number): Promise<number> {
            clock.advance(3);
            return x * this.factor;
          }
        }
        expect(await new Service().call(21)).toBe(42);
        const s = await series(m, 'service_call_seconds');
        expect(s.bucketCounts).toEqual([0, 1, 0]);
      });
    });

    describe('cardinality', () => {
      it('sends series beyond the limit to one overflow series and counts them', async () => {
        const m = metricsOn(backend, { maxSeriesPerMetric: 3, defaultLabels: { app: 'x' } });
        const c = m.counter('users_total', { help: 'u', labelNames: ['user'] as const });
        for (let i = 0; i < 10; i++) c.inc({ user: `u${i}` });
        c.inc({ user: 'u0' }, 5);
        const f = await family(m, 'users');
        expect(f.series).toHaveLength(4);
        const overflow = f.series.find((s) => labelsOf(s).omnimeter_overflow === 'true')!;
        expect(overflow.labels).toEqual([
          ['app', 'x'],
          ['omnimeter_overflow', 'true'],
        ]);
        expect(overflow.value).toBe(7);
        expect(await value(m, 'users', { user: 'u0' })).toBe(6);
        expect(await value(m, 'omnimeter_cardinality_overflow', { metric: 'users' })).toBe(7);
      });

      it('expires idle series after the TTL, and a kept handle comes back when used', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock, seriesTtlSeconds: 60 });
        const c = m.counter('sessions_total', { help: 's', labelNames: ['id'] as const });
        const kept = c.labels({ id: 'kept' });
        kept.inc();
        c.inc({ id: 'busy' });
        c.inc({ id: 'idle' });
        await m.registry.collect();
        clock.advance(61);
        c.inc({ id: 'busy' });
        const ids = async () => (await family(m, 'sessions')).series.map((s) => labelsOf(s).id).sort();
        expect(await ids()).toEqual(['busy']);
        kept.inc(2);
        expect(await ids()).toEqual(['busy', 'kept']);
        expect(await value(m, 'sessions', { id: 'kept' })).toBe(3);
        c.inc({ id: 'idle' });
        expect(await value(m, 'sessions', { id: 'idle' })).toBe(1);
      });

      it('keeps idle series forever when no TTL is set', async () => {
        const clock = new ManualClock();
        const m = metricsOn(backend, { clock });
        m.counter('c_total', { help: 'c', labelNames: ['k'] as const }).inc({ k: 'a' });
        clock.advance(1e6);
        expect((await family(m, 'c')).series).toHaveLength(1);
      });
    });

    describe('value types', () => {
      // Values that JavaScript's comparisons coerce: '5' >= 0 is true, so a
      // check by comparison alone let strings through (inc('5') concatenated).
      const BAD = ['5', '1', 5n, true, null, [], [3], Symbol('v'), new Number(5), () => 1] as const;
      const show = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'symbol' ? 'a symbol' : JSON.stringify(v));

      /** Every recording entry point, unlabelled, through labels and through a bound handle. */
      function entryPoints(m: ReturnType<typeof metricsOn>) {
        const c = m.counter('vc_total', { help: 'c' });
        const cl = m.counter('vcl_total', { help: 'c', labelNames: ['k'] as const });
        const g = m.gauge('vg', { help: 'g' });
        const gl = m.gauge('vgl', { help: 'g', labelNames: ['k'] as const });
        const h = m.histogram('vh', { help: 'h', buckets: [1] });
        const hl = m.histogram('vhl', { help: 'h', labelNames: ['k'] as const, buckets: [1] });
        const s = m.summary('vs', { help: 's', quantiles: [0.5] });
        const sl = m.summary('vsl', { help: 's', labelNames: ['k'] as const, quantiles: [0.5] });
        const t = m.timer('vt_seconds', { help: 't' });
        const k = { k: 'a' };
        return {
          'counter.inc': (v: unknown) => c.inc(v as number),
          'counter.inc(labels)': (v: unknown) => cl.inc(k, v as number),
          'bound counter.inc': (v: unknown) => cl.labels(k).inc(v as number),
          'gauge.set': (v: unknown) => g.set(v as number),
          'gauge.inc': (v: unknown) => g.inc(v as number),
          'gauge.dec': (v: unknown) => g.dec(v as number),
          'gauge.set(labels)': (v: unknown) => gl.set(k, v as number),
          'bound gauge.inc': (v: unknown) => gl.labels(k).inc(v as number),
          'bound gauge.dec': (v: unknown) => gl.labels(k).dec(v as number),
          'histogram.observe': (v: unknown) => h.observe(v as number),
          'histogram.observe(labels)': (v: unknown) => hl.observe(k, v as number),
          'bound histogram.observe': (v: unknown) => hl.labels(k).observe(v as number),
          'summary.observe': (v: unknown) => s.observe(v as number),
          'summary.observe(labels)': (v: unknown) => sl.observe(k, v as number),
          'bound summary.observe': (v: unknown) => sl.labels(k).observe(v as number),
          'timer.observe': (v: unknown) => t.observe(v as number),
        };
      }

      it('strict: every entry point refuses a value that is not a number, naming metric, labels and value', () => {
        const m = metricsOn(backend);
        for (const [where, record] of Object.entries(entryPoints(m))) {
          for (const bad of BAD) {
            let error: unknown;
            try {
              record(bad);
            } catch (e) {
              error = e;
            }
            expect(error, `${where}(${show(bad)})`).toBeInstanceOf(MetricsError);
            expect((error as MetricsError).code, `${where}(${show(bad)})`).toBe('INVALID_VALUE');
            const labelled = where.includes('labels') || where.startsWith('bound');
            expect((error as Error).message, where).toMatch(labelled ? /^v\w+\{k="a"\}: .*, got / : /^v\w+: .*, got /);
          }
        }
        expect(() => m.counter('named_total', { help: 'n' }).inc('5' as never)).toThrowError(
          'named: counter increments must be finite and >= 0, got "5"',
        );
        const labelled = m.counter('named_labelled_total', { help: 'n', labelNames: ['tool'] as const });
        expect(() => labelled.inc({ tool: 'x"y' }, {} as never)).toThrowError(
          'named_labelled{tool="x\\"y"}: counter increments must be finite and >= 0, got {}',
        );
      });

      it('strict: inc(1), inc("5"), inc(1), inc(2) leaves the counter at 4, not 1512', async () => {
        const m = metricsOn(backend);
        const c = m.counter('o_total', { help: 'o' });
        c.inc(1);
        expect(() => c.inc('5' as never)).toThrow(MetricsError);
        c.inc(1);
        c.inc(2);
        expect(await value(m, 'o')).toBe(4);
      });

      it('lenient: drops and counts every such value, never throws, and the totals stay numbers', async () => {
        const m = metricsOn(backend, { mode: 'lenient' });
        const points = Object.entries(entryPoints(m));
        for (const [, record] of points) {
          record(1);
          for (const bad of BAD) record(bad);
        }
        expect(await value(m, 'vc')).toBe(1);
        expect(await value(m, 'vcl')).toBe(2); // inc(labels, 1) and the bound handle's inc(1)
        expect(await value(m, 'vg')).toBe(1); // set(1), inc(1), dec(1)
        expect((await series(m, 'vh')).count).toBe(1);
        expect((await series(m, 'vsl')).count).toBe(2);
        const dropped = (await family(m, 'omnimeter_dropped_recordings')).series.reduce((n, s) => n + (s.value ?? 0), 0);
        expect(dropped).toBe(points.length * BAD.length);
      });
    });

    describe('lifecycle', () => {
      it('refuses new registrations after shutdown', async () => {
        const m = metricsOn(backend);
        await m.shutdown();
        await m.shutdown();
        expect(() => m.counter('late_total', { help: 'l' })).toThrowError(/shut down/);
      });
    });
  });

  describe.each(backends)('$name backend: sampling and filters', (backend) => {
    beforeEach(async () => backend.prepare?.());
    afterEach(async () => backend.verify?.());

    it('records 1 in N observations with weight N, so counts and sums stay exact', async () => {
      const m = metricsOn(backend, { samplingRate: 0.25 });
      const h = m.histogram('sampled_seconds', { help: 's', buckets: [1, 10] });
      const s = m.summary('sampled_summary', { help: 's', quantiles: [0.5] });
      const all = m.histogram('unsampled', { help: 'u', buckets: [1], sampleRate: 1 });
      for (let i = 0; i < 400; i++) {
        h.observe(5);
        s.observe(5);
        all.observe(0.5);
      }
      const hs = await series(m, 'sampled_seconds');
      expect(hs.count).toBe(400);
      expect(hs.bucketCounts).toEqual([0, 400, 0]);
      expect(hs.sum).toBe(2000);
      expect((await series(m, 'sampled_summary')).count).toBe(400);
      expect((await series(m, 'unsampled')).count).toBe(400);
      expect(() => m.histogram('bad_rate', { help: 'b', sampleRate: 0 })).toThrowError(
        /bad_rate: sampleRate: expected a number in \(0, 1\], got 0/,
      );
    });

    it("never prefixes or filters the omnimeter_ namespace (omnimeter's own telemetry)", async () => {
      const m = metricsOn(backend, { prefix: 'app_', filter: () => null });
      m.counter('omnimeter_things_total', { help: 't' }).inc();
      m.counter('mine_total', { help: 'm' }).inc();
      const names = (await m.registry.collect()).map((f) => f.name);
      expect(names).toContain('omnimeter_things');
      expect(names).not.toContain('app_mine');
    });

    it('asks the filter at registration: deny hands out a no-op, a new name is used', async () => {
      const m = metricsOn(backend, {
        filter: (name) => (name.startsWith('debug_') ? null : name.replace(/^legacy_/, 'app_')),
      });
      const denied = m.counter('debug_hits_total', { help: 'd' });
      denied.inc();
      m.counter('legacy_calls_total', { help: 'c' }).inc(2);
      const names = (await m.registry.collect()).map((f) => f.name);
      expect(names).not.toContain('debug_hits');
      expect(await value(m, 'app_calls')).toBe(2);
      expect(m.timer('debug_work_seconds', { help: 'w' }).start()()).toBe(0);
    });
  });
}
