/**
 * Automatic checks on createMetrics with a manual clock: a component that
 * traps makes readiness fail and is recovered by an application's own
 * action (attempts and successes counted; built-in actions: recovery.test.ts), an exporter's error streak degrades then fails its
 * check and clears on delivery, series-limit pressure degrades, an SLO breach
 * held for its window degrades; health is exposed as metrics.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../src/core/scheduler.js';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { type NodeMetrics, type NodeMetricsOptions, createMetrics } from '../../src/node/index.js';
import { componentDir } from '../support/components.js';

const open: NodeMetrics[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.shutdown()));
});

function build(options: NodeMetricsOptions) {
  const scheduler = new ManualScheduler(Date.now());
  const metrics = createMetrics({ ...options, scheduler });
  open.push(metrics);
  return { metrics, scheduler, health: metrics.health! };
}

const statusOf = async (metrics: NodeMetrics, check: string) => {
  const text = await metrics.registry.expose();
  const m = new RegExp(`^omnimeter_health_status\\{check="${check.replace(/[:]/g, '\\$&')}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('component checks and recovery', () => {
  it('a trapped instance makes readiness 503-worthy; recovery re-instantiates it and is counted', async () => {
    const { metrics, scheduler, health } = build({ health: { enabled: true, interval: '10s', recovery: { backoff: '10s' } } });
    const host = new ComponentHost({ metrics, recovery: false }); // the application's own action, not the host's
    const hostile = host.load(readComponent(await componentDir('hostile')));
    let instance = hostile.instantiate('main');
    health.addRecovery('component:hostile', {
      description: 're-instantiate hostile/main',
      run: () => void (instance = hostile.instantiate('main')),
    });
    instance.call('misbehave', 0);
    await scheduler.advance(0);
    expect((await health.fresh('readiness')).checks.find((c) => c.name === 'component:hostile')?.status).toBe('healthy');

    expect(() => instance.call('misbehave', 3)).toThrow(WebAssembly.RuntimeError);
    expect(instance.healthy).toBe(false);
    await scheduler.advance(10_000); // sampled: the trap is seen, recovery starts in the background
    const during = await health.fresh('readiness');
    await health.monitor.idle();
    expect(during.status === 'unhealthy' || during.status === 'healthy').toBe(true);
    const text = await metrics.registry.expose();
    expect(text).toMatch(/^omnimeter_health_recovery_attempts_total\{check="component:hostile"\} 1$/m);
    expect(text).toMatch(/^omnimeter_health_recovery_successes_total\{check="component:hostile"\} 1$/m);
    expect(instance.healthy).toBe(true);
    await scheduler.advance(10_000);
    expect((await health.fresh('readiness')).status).toBe('healthy');
    expect(await statusOf(metrics, 'component:hostile')).toBe(1);
  });

  it('without recovery the component stays unhealthy and readiness fails', async () => {
    const { metrics, scheduler, health } = build({ health: { enabled: true, recovery: { enabled: false } } });
    const host = new ComponentHost({ metrics, recovery: false });
    const instance = host.load(readComponent(await componentDir('hostile'))).instantiate('main');
    expect(() => instance.call('misbehave', 3)).toThrow();
    await scheduler.advance(0);
    const report = await health.fresh('readiness');
    expect(report.status).toBe('unhealthy');
    expect(report.checks.find((c) => c.name === 'component:hostile')).toMatchObject({
      status: 'unhealthy',
      critical: true,
      reason: 'instance(s) main trapped and are isolated',
    });
    expect(await statusOf(metrics, 'component:hostile')).toBe(0);
  });

  it('a component whose calls mostly fail is degraded', async () => {
    const { metrics, scheduler, health } = build({ health: { enabled: true, components: { errorRatio: 0.5, window: '1m' } } });
    const host = new ComponentHost({ metrics });
    const json = host.load(readComponent(await componentDir('json-tool'))).instantiate('main');
    await scheduler.advance(0);
    for (let step = 0; step < 4; step++) {
      for (let i = 0; i < 10; i++) {
        try {
          json.call('count-values', i < 8 ? (null as never) : '[1]'); // no string where one is due: an error
        } catch {
          /* the error status is what counts */
        }
      }
      await scheduler.advance(10_000);
    }
    const check = (await health.fresh('readiness')).checks.find((c) => c.name === 'component:json-tool');
    expect(check?.status, JSON.stringify(check)).toBe('degraded');
  });
});

describe('exporter checks', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((m) => m.shutdown())); // the exporter stops writing there first
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('an error streak degrades, then fails the check; a delivery clears it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-health-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'later'), 'a file where the exporter needs a directory');
    const { scheduler, health } = build({
      collectionInterval: '100ms',
      exporters: [{ type: 'json', path: join(dir, 'later', 'out.json'), retry: { initialBackoff: '100ms', maxBackoff: '100ms' } }],
      health: { enabled: true, exporters: { unhealthyAfter: 4 } },
    });
    const check = async () => (await health.fresh('readiness')).checks.find((c) => c.name === 'exporter:json');
    await new Promise((r) => setTimeout(r, 250)); // real time: a few failed attempts
    await scheduler.advance(0);
    await scheduler.advance(10_000);
    const first = await check();
    expect(['degraded', 'unhealthy']).toContain(first?.status);
    expect(first?.reason).toMatch(/consecutive failed export attempt/);
    await new Promise((r) => setTimeout(r, 600));
    await scheduler.advance(10_000);
    expect((await check())?.status).toBe('unhealthy');
    expect((await health.fresh('readiness')).status).toBe('degraded'); // exporters are not critical by default
    rmSync(join(dir, 'later'));
    await new Promise((r) => setTimeout(r, 400));
    await scheduler.advance(10_000);
    expect(await check()).toMatchObject({ status: 'healthy' });
  });
});

describe('series pressure and SLO checks', () => {
  it('a metric near its series limit degrades the series check; overflowing too', async () => {
    const { metrics, scheduler, health } = build({ retention: { maxSeries: 10 }, health: { enabled: true, series: { pressure: 0.8 } } });
    const c = metrics.counter('users_total', { help: 'Per user.', labelNames: ['user'] });
    for (let i = 0; i < 5; i++) c.inc({ user: String(i) });
    await scheduler.advance(0);
    expect((await health.fresh('readiness')).checks.find((x) => x.name === 'series')?.status).toBe('healthy');
    for (let i = 5; i < 9; i++) c.inc({ user: String(i) });
    await scheduler.advance(10_000);
    expect((await health.fresh('readiness')).checks.find((x) => x.name === 'series')).toMatchObject({
      status: 'degraded',
      reason: 'users holds 9 of 10 series',
      critical: false,
    });
    for (let i = 9; i < 30; i++) c.inc({ user: String(i) });
    await scheduler.advance(10_000);
    await scheduler.advance(10_000);
    expect((await health.fresh('readiness')).checks.find((x) => x.name === 'series')?.reason).toBe(
      'recordings go to overflow series: users',
    );
  });

  it('an error ratio over its SLO for the window degrades the check (and not before)', async () => {
    const { metrics, scheduler, health } = build({
      health: {
        enabled: true,
        slo: [
          {
            name: 'checkout-errors',
            for: '30s',
            condition: {
              kind: 'ratio',
              selector: 'orders_total{status="error"}',
              denominator: 'orders_total',
              window: '1m',
              threshold: 0.05,
            },
          },
        ],
      },
    });
    const orders = metrics.counter('orders_total', { help: 'Orders.', labelNames: ['status'] });
    const step = async (errors: number) => {
      orders.inc({ status: 'ok' }, 100 - errors);
      orders.inc({ status: 'error' }, errors);
      await scheduler.advance(10_000);
    };
    await scheduler.advance(0);
    for (let i = 0; i < 6; i++) await step(1);
    const slo = async () => (await health.fresh('readiness')).checks.find((c) => c.name === 'checkout-errors');
    expect((await slo())?.status).toBe('healthy');
    for (let i = 0; i < 3; i++) await step(20);
    expect(await slo()).toMatchObject({ status: 'healthy' }); // breached, not yet for 30 s
    expect((await slo())?.reason).toMatch(/^breached, not yet for 30s/);
    for (let i = 0; i < 3; i++) await step(20);
    const breached = await slo();
    expect(breached?.status).toBe('degraded');
    expect(breached?.reason).toMatch(/^ratio 0\.\d+ > 0\.05 for 30s$/);
    expect(await statusOf(metrics, 'checkout-errors')).toBe(0.5);
    expect((await health.fresh('readiness')).status).toBe('degraded');
  });
});
