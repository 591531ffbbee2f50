/**
 * Rule evaluation driven by a manual clock: the state machine (inactive →
 * pending → firing → resolved, `for`, `keepFiringFor`), each condition kind
 * on known data, and annotation templates.
 */
import { describe, expect, it } from 'vitest';
import { alertingFixture } from './support.js';

describe('alert states follow Prometheus', () => {
  it('inactive → pending → firing → resolved, with for and keepFiringFor', async () => {
    const f = alertingFixture({
      rules: [
        {
          name: 'QueueDeep',
          condition: { kind: 'threshold', selector: 'queue_depth', op: '>', threshold: 10 },
          for: '30s',
          keepFiringFor: '20s',
          annotations: { summary: 'queue {{ $labels.queue }} holds {{ $value }}' },
        },
      ],
    });
    const depth = f.metrics.gauge('queue_depth', { help: 'Items queued.', labelNames: ['queue'] });
    depth.set({ queue: 'mail' }, 3);
    await f.scheduler.advance(0); // first evaluation
    expect(f.stateOf('QueueDeep')).toEqual([]); // inactive: no alert at all

    depth.set({ queue: 'mail' }, 25);
    await f.evaluations(1);
    expect(f.stateOf('QueueDeep')).toEqual(['pending']);
    const pending = f.alerts();
    expect(pending[0]!.annotations.summary).toBe('queue mail holds 25');
    expect(pending[0]!.labels).toEqual({ queue: 'mail', severity: 'warning', alertname: 'QueueDeep' });

    await f.evaluations(2); // 20 s active: still pending
    expect(f.stateOf('QueueDeep')).toEqual(['pending']);
    await f.evaluations(1); // 30 s active: fires
    expect(f.stateOf('QueueDeep')).toEqual(['firing']);

    depth.set({ queue: 'mail' }, 2);
    await f.evaluations(1); // cleared 0 s ago: kept firing
    expect(f.stateOf('QueueDeep')).toEqual(['firing']);
    await f.evaluations(1); // cleared 10 s ago
    expect(f.stateOf('QueueDeep')).toEqual(['firing']);
    await f.evaluations(1); // 20 s: resolved
    expect(f.stateOf('QueueDeep')).toEqual(['resolved']);
    expect(f.alerts()[0]!.resolvedAt).toBe(f.scheduler.now());

    await f.evaluations(90); // reported as resolved for 15 minutes
    expect(f.stateOf('QueueDeep')).toEqual(['resolved']);
    await f.evaluations(1); // then forgotten
    expect(f.stateOf('QueueDeep')).toEqual([]);
  });

  it('a pending alert that clears is dropped without ever firing; a flapping condition restarts pending', async () => {
    const f = alertingFixture({
      rules: [{ name: 'Hot', condition: { kind: 'threshold', selector: 'temp', threshold: 50 }, for: '20s' }],
    });
    const temp = f.metrics.gauge('temp', { help: 'Temperature.' });
    temp.set(60);
    await f.scheduler.advance(0);
    expect(f.stateOf('Hot')).toEqual(['pending']);
    temp.set(40);
    await f.evaluations(1);
    expect(f.stateOf('Hot')).toEqual([]);
    temp.set(60);
    await f.evaluations(2); // pending again from this evaluation on: 10 s
    expect(f.stateOf('Hot')).toEqual(['pending']);
    await f.evaluations(1);
    expect(f.stateOf('Hot')).toEqual(['firing']);
  });

  it('for: 0 fires on the first evaluation; a firing alert that clears without keepFiringFor resolves at once', async () => {
    const f = alertingFixture({ rules: [{ name: 'Now', condition: { kind: 'threshold', selector: 'x', threshold: 0 } }] });
    const x = f.metrics.gauge('x', { help: 'x.' });
    x.set(1);
    await f.scheduler.advance(0);
    expect(f.stateOf('Now')).toEqual(['firing']);
    x.set(0);
    await f.evaluations(1);
    expect(f.stateOf('Now')).toEqual(['resolved']);
    x.set(1);
    await f.evaluations(1); // resolved, then active again: a new alert, firing again
    expect(f.stateOf('Now')).toEqual(['firing']);
  });

  it('exposes alert states as omnimeter_alerts{alertname, alertstate, severity}', async () => {
    const f = alertingFixture({
      rules: [{ name: 'Now', severity: 'critical', condition: { kind: 'threshold', selector: 'x', threshold: 0 } }],
    });
    f.metrics.gauge('x', { help: 'x.' }).set(1);
    await f.scheduler.advance(0);
    const text = await f.metrics.registry.expose();
    expect(text).toContain('omnimeter_alerts{alertname="Now",alertstate="firing",severity="critical"} 1');
    expect(text).toContain('omnimeter_alerts{alertname="Now",alertstate="pending",severity="critical"} 0');
  });
});

describe('condition kinds', () => {
  it('rate over a window, per series or summed by labels', async () => {
    const f = alertingFixture({
      rules: [
        { name: 'PerSeries', condition: { kind: 'rate', selector: 'errors_total', window: '1m', threshold: 1 } },
        { name: 'Summed', condition: { kind: 'rate', selector: 'errors_total', window: '1m', threshold: 1.5, by: ['service'] } },
      ],
    });
    const errors = f.metrics.counter('errors_total', { help: 'Errors.', labelNames: ['service', 'pod'] });
    await f.scheduler.advance(0);
    for (let i = 0; i < 8; i++) {
      errors.inc({ service: 'api', pod: 'a' }, 12); // 1.2/s
      errors.inc({ service: 'api', pod: 'b' }, 6); // 0.6/s
      await f.evaluations(1);
    }
    const firing = f.alerts().filter((a) => a.state === 'firing');
    expect(firing.filter((a) => a.rule === 'PerSeries').map((a) => a.labels.pod)).toEqual(['a']);
    const summed = firing.filter((a) => a.rule === 'Summed');
    expect(summed.map((a) => a.labels)).toEqual([{ service: 'api', severity: 'warning', alertname: 'Summed' }]);
    // Steady increments: Prometheus' extrapolated rate is exact here.
    expect(summed[0]!.value).toBeCloseTo(1.8, 10);
  });

  it('error ratio: sum(rate(errors)) / sum(rate(all))', async () => {
    const f = alertingFixture({
      rules: [
        {
          name: 'ErrorRatio',
          condition: { kind: 'ratio', selector: 'calls_total{status="error"}', denominator: 'calls_total', window: '1m', threshold: 0.1 },
          annotations: { summary: '{{ $value | humanizePercentage }} of calls fail' },
        },
      ],
    });
    const calls = f.metrics.counter('calls_total', { help: 'Calls.', labelNames: ['status'] });
    await f.scheduler.advance(0);
    for (let i = 0; i < 7; i++) {
      calls.inc({ status: 'ok' }, 95);
      calls.inc({ status: 'error' }, 5);
      await f.evaluations(1);
    }
    expect(f.stateOf('ErrorRatio')).toEqual([]);
    for (let i = 0; i < 7; i++) {
      calls.inc({ status: 'ok' }, 80);
      calls.inc({ status: 'error' }, 20);
      await f.evaluations(1);
    }
    const [alert] = f.alerts();
    expect(alert!.state).toBe('firing');
    expect(alert!.value).toBeCloseTo(0.2, 10);
    expect(alert!.annotations.summary).toBe('20% of calls fail');
  });

  it('histogram quantile over a window, as histogram_quantile interpolates', async () => {
    const f = alertingFixture({
      rules: [{ name: 'Slow', condition: { kind: 'quantile', selector: 'req_seconds', quantile: 0.9, window: '1m', threshold: 0.5 } }],
    });
    const h = f.metrics.histogram('req_seconds', { help: 'Latency.', buckets: [0.1, 0.5, 1] });
    await f.scheduler.advance(0);
    for (let i = 0; i < 7; i++) {
      for (let k = 0; k < 50; k++) h.observe(0.05);
      for (let k = 0; k < 50; k++) h.observe(0.8); // p90 lies in (0.5, 1]: 0.5 + 0.5 * (90 - 50) / 50 = 0.9
      await f.evaluations(1);
    }
    const [alert] = f.alerts();
    expect(alert!.state).toBe('firing');
    expect(alert!.value).toBeCloseTo(0.9, 10);
  });

  it('summary quantile read from the quantile series', async () => {
    const f = alertingFixture({
      rules: [
        { name: 'SlowS', condition: { kind: 'quantile', source: 'summary', selector: 'lat', quantile: 0.5, window: '1m', threshold: 2 } },
      ],
    });
    const s = f.metrics.summary('lat', { help: 'Latency.', quantiles: [0.5] });
    for (let i = 0; i < 10; i++) s.observe(3);
    await f.scheduler.advance(0);
    expect(f.stateOf('SlowS')).toEqual(['firing']);
    expect(f.alerts()[0]!.value).toBeCloseTo(3, 1);
  });

  it('absent: fires while no series matches, with the equality matchers as labels', async () => {
    const f = alertingFixture({ rules: [{ name: 'NoHeartbeat', condition: { kind: 'absent', selector: 'heartbeat{job="etl"}' } }] });
    await f.scheduler.advance(0);
    expect(f.stateOf('NoHeartbeat')).toEqual(['firing']);
    expect(f.alerts()[0]!.labels).toEqual({ job: 'etl', severity: 'warning', alertname: 'NoHeartbeat' });
    f.metrics.gauge('heartbeat', { help: 'Last beat.', labelNames: ['job'] }).set({ job: 'etl' }, 1);
    await f.evaluations(1);
    expect(f.stateOf('NoHeartbeat')).toEqual(['resolved']);
  });

  it('threshold with aggregation', async () => {
    const f = alertingFixture({
      rules: [{ name: 'Total', condition: { kind: 'threshold', selector: 'q', threshold: 10, aggregate: { op: 'sum', by: ['region'] } } }],
    });
    const q = f.metrics.gauge('q', { help: 'q.', labelNames: ['region', 'host'] });
    q.set({ region: 'eu', host: 'a' }, 6);
    q.set({ region: 'eu', host: 'b' }, 6);
    q.set({ region: 'us', host: 'c' }, 6);
    await f.scheduler.advance(0);
    expect(f.alerts().map((a) => [a.labels.region, a.value])).toEqual([['eu', 12]]);
  });
});
