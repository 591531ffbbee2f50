/**
 * The health registry and status model, driven by a manual clock: sync and
 * async checks, timeouts, criticality, dependencies, liveness vs readiness,
 * an explicit report when there is nothing to check, caching, and the
 * /healthz /readyz answers.
 */
import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../src/core/scheduler.js';
import { HealthRegistry, healthResponse } from '../../src/health/index.js';

const registry = (options: ConstructorParameters<typeof HealthRegistry>[0] = {}) => {
  const scheduler = new ManualScheduler();
  return { scheduler, health: new HealthRegistry({ cacheMs: 0, scheduler, ...options }) };
};

describe('status model', () => {
  it('healthy, degraded (non-critical failure or degraded check), unhealthy (critical failure)', async () => {
    const { health } = registry();
    let db: 'healthy' | 'degraded' | 'unhealthy' = 'healthy';
    let cache = true;
    health.register('db', () => ({ status: db, reason: `db is ${db}` }));
    health.register('cache', async () => cache, { critical: false });
    expect((await health.run()).status).toBe('healthy');
    cache = false;
    const degraded = await health.run();
    expect(degraded.status).toBe('degraded');
    expect(degraded.checks.find((c) => c.name === 'cache')).toMatchObject({
      status: 'unhealthy',
      critical: false,
      reason: 'check returned false',
    });
    cache = true;
    db = 'degraded';
    expect((await health.run()).status).toBe('degraded');
    db = 'unhealthy';
    const down = await health.run();
    expect(down.status).toBe('unhealthy');
    expect(down.checks.find((c) => c.name === 'db')!.reason).toBe('db is unhealthy');
  });

  it('a check that throws is unhealthy with the error as its reason; one that returns nonsense too', async () => {
    const { health } = registry();
    health.register('boom', () => {
      throw new Error('connection refused');
    });
    health.register('odd', () => 'fine' as never);
    const report = await health.run();
    expect(report.checks.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['boom', 'unhealthy', 'connection refused'],
      ['odd', 'unhealthy', 'check returned an invalid status "fine"'],
    ]);
  });

  it('a check that hangs times out (its signal aborts) while the others answer', async () => {
    const { health, scheduler } = registry({ timeoutMs: 1000 });
    let aborted = false;
    health.register('slow', (signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))));
    health.register('fast', () => true);
    const pending = health.run();
    await scheduler.advance(1000);
    const report = await pending;
    expect(report.checks).toMatchObject([
      { name: 'slow', status: 'unhealthy', reason: 'timed out after 1000 ms' },
      { name: 'fast', status: 'healthy' },
    ]);
    expect(aborted).toBe(true);
  });

  it('dependencies: a dependent of an unhealthy check is not run and says why; cycles and unknown names are reported', async () => {
    const { health } = registry();
    let dbUp = false;
    let apiRuns = 0;
    health.register('db', () => dbUp);
    health.register('api', () => void apiRuns++, { dependsOn: ['db'] });
    health.register('a', () => true, { dependsOn: ['b'] });
    health.register('b', () => true, { dependsOn: ['a'] });
    health.register('c', () => true, { dependsOn: ['nope'] });
    const report = await health.run();
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.api).toMatchObject({ status: 'unhealthy', skipped: true, reason: 'dependency db is unhealthy (check returned false)' });
    expect(apiRuns).toBe(0);
    expect(byName.a!.reason).toMatch(/dependency (cycle|b is unhealthy)/);
    expect(byName.c!.reason).toBe('depends on unknown check "nope"');
    dbUp = true;
    expect((await health.run()).checks.find((c) => c.name === 'api')!.status).toBe('healthy');
    expect(apiRuns).toBe(1);
  });

  it('liveness runs only liveness checks', async () => {
    const { health } = registry();
    health.register('loop', () => true, { liveness: true });
    health.register('db', () => false);
    expect((await health.run('liveness')).checks.map((c) => c.name)).toEqual(['loop']);
    expect((await health.run('readiness')).status).toBe('unhealthy');
  });

  it('concurrent probes share one run, and a report is reused for cacheMs', async () => {
    const { health, scheduler } = registry({ cacheMs: 1000 });
    let runs = 0;
    health.register('count', async () => void runs++);
    await Promise.all([health.run(), health.run(), health.run()]);
    expect(runs).toBe(1);
    await scheduler.advance(1000);
    await health.run();
    expect(runs).toBe(2);
  });
});

describe('never vacuous', () => {
  it('with no checks, readiness says so in the body; with requireChecks it is not ready', async () => {
    const open = registry().health;
    const report = await open.run();
    expect(report).toMatchObject({ status: 'healthy', checks: [] });
    expect(report.note).toContain('no health checks registered or enabled');
    const response = healthResponse(report, 'readiness', false);
    expect(response.status).toBe(200);
    expect(response.body).toBe(`ready: healthy\nnote: ${report.note}\n`);

    const strict = registry({ requireChecks: true }).health;
    const refused = healthResponse(await strict.run(), 'readiness', true);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ scope: 'readiness', status: 'unhealthy', checks: [] });
  });

  it('disabling every check leaves an explicit note; enabling one brings it back', async () => {
    const { health } = registry();
    health.register('db', () => false);
    health.setEnabled('db', false);
    expect((await health.run()).note).toContain('no health checks registered or enabled');
    health.setEnabled('db', true);
    const report = await health.run();
    expect(report.note).toBeUndefined();
    expect(healthResponse(report, 'readiness', false)).toMatchObject({
      status: 503,
      body: 'not ready: unhealthy\nunhealthy db: check returned false\n',
    });
  });

  it('degraded is 200 with the reason', async () => {
    const { health } = registry();
    health.register('queue', () => ({ status: 'degraded', reason: 'backlog 900' }));
    expect(healthResponse(await health.run(), 'readiness', false)).toMatchObject({
      status: 200,
      body: 'ready: degraded\ndegraded  queue: backlog 900\n',
    });
  });
});
