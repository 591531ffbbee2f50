/**
 * Built-in recovery actions, counted as attempts and successes (and the
 * statsd exporter's reconnect they use, against a real TCP listener):
 *   - an exporter whose error streak made its check unhealthy is reconnected
 *     (a fresh connection, then the waiting batch retried at once);
 *   - a component instance its host will not re-instantiate is
 *     re-instantiated through the host's public reinstantiate(); while the
 *     host has its own attempt pending, health only reports it (never twice).
 */
import { type Socket, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExportBatch, PushExporter } from '../../src/api/exporter.js';
import { Sampler } from '../../src/alerting/sampler.js';
import { HealthSchema } from '../../src/config/health-schema.js';
import { ManualScheduler } from '../../src/core/scheduler.js';
import { parseConfig } from '../../src/config/load.js';
import { ExportPipeline } from '../../src/exporters/pipeline.js';
import { statsdExporter } from '../../src/exporters/statsd.js';
import { Health } from '../../src/health/index.js';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { createMetrics as createCore } from '../../src/index.js';
import { type NodeMetrics, createMetrics } from '../../src/node/index.js';
import { componentDir } from '../support/components.js';

const sample = async (text: string, name: string, labels: string) => {
  const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

const until = async (condition: () => boolean, ms = 10_000) => {
  for (const deadline = Date.now() + ms; !condition(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error('condition not reached');
};

describe('reconnecting an exporter', () => {
  /** An exporter whose connection went stale: every export fails until it reconnects. */
  const stale = (): PushExporter & { reconnects: number; delivered: number; failedBeforeReconnect: number } => {
    let broken = true;
    let failed = 0;
    const exporter = {
      name: 'grpc',
      reconnects: 0,
      delivered: 0,
      failedBeforeReconnect: 0,
      async export(_batch: ExportBatch) {
        if (broken) {
          failed++;
          throw new Error('UNAVAILABLE: stale channel');
        }
        exporter.delivered++;
      },
      async reconnect() {
        exporter.reconnects++;
        exporter.failedBeforeReconnect = failed;
        broken = false;
      },
    };
    return exporter;
  };

  const build = (exporter: PushExporter) => {
    const metrics = createCore();
    const scheduler = new ManualScheduler(Date.now());
    const pipeline = new ExportPipeline(
      () => metrics.registry.collect(),
      [{ exporter, options: { maxQueue: 2, initialBackoffMs: 5, maxBackoffMs: 20, timeoutMs: 1000 } }],
      metrics,
      { intervalMs: 3_600_000, warn: () => {} },
    );
    const sampler = new Sampler({ collect: () => metrics.registry.collect(), intervalMs: 10_000, scheduler });
    const config = HealthSchema.parse({ enabled: true, exporters: { unhealthyAfter: 3 }, recovery: { backoff: '10s' } });
    const health = new Health({ config, metrics, sampler, maxSeries: 1000, exporters: pipeline, log: () => {} });
    return { metrics, scheduler, pipeline, sampler, health };
  };

  it('reconnects once its error streak makes the check unhealthy, and counts the attempt and the success', async () => {
    const exporter = stale();
    const { metrics, pipeline, sampler, health } = build(exporter);
    const failures = async () =>
      (await sample(await metrics.registry.expose(), 'omnimeter_exporter_failures_total', '{exporter="grpc"}')) ?? 0;
    await pipeline.collectOnce();
    await sampler.sample();
    for (const deadline = Date.now() + 10_000; (await failures()) < 3 && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 10));
    await sampler.sample(); // the streak of 3 crosses unhealthyAfter: the check is unhealthy, the action starts
    await health.monitor.idle();
    expect(exporter.reconnects).toBe(1);
    expect(exporter.failedBeforeReconnect).toBeGreaterThanOrEqual(3); // not before the streak crossed unhealthyAfter
    expect(exporter.delivered).toBe(1);
    const text = await metrics.registry.expose();
    expect(await sample(text, 'omnimeter_health_recovery_attempts_total', '{check="exporter:grpc"}')).toBe(1);
    expect(await sample(text, 'omnimeter_health_recovery_successes_total', '{check="exporter:grpc"}')).toBe(1);
    expect((await health.fresh('readiness')).checks.find((c) => c.name === 'exporter:grpc')?.status).toBe('healthy');
    await pipeline.close(Date.now() + 1000);
  });

  it('an exporter with nothing to reconnect gets no action', async () => {
    const failing: PushExporter = { name: 'json', export: async () => Promise.reject(new Error('disk full')) };
    const { metrics, pipeline, sampler, health } = build(failing);
    await pipeline.collectOnce();
    await sampler.sample();
    await new Promise((r) => setTimeout(r, 200));
    await sampler.sample();
    await health.monitor.idle();
    expect((await health.fresh('readiness')).checks.find((c) => c.name === 'exporter:json')?.status).toBe('unhealthy');
    expect(await metrics.registry.expose()).not.toContain('omnimeter_health_recovery_attempts_total{check="exporter:json"}');
    await pipeline.close(Date.now() + 100);
  });
});

describe('re-instantiating a component through its host', () => {
  const open: NodeMetrics[] = [];
  const hosts: ComponentHost[] = [];
  afterEach(async () => {
    for (const h of hosts.splice(0)) h.close();
    await Promise.all(open.splice(0).map((m) => m.shutdown()));
  });
  const build = (hostRecovery: ConstructorParameters<typeof ComponentHost>[0]['recovery']) => {
    const scheduler = new ManualScheduler(Date.now());
    const metrics = createMetrics({ health: { enabled: true, interval: '10s', recovery: { backoff: '10s' } }, scheduler });
    open.push(metrics);
    const host = new ComponentHost({ metrics, recovery: hostRecovery });
    hosts.push(host);
    metrics.health!.watchComponents(host);
    return { metrics, scheduler, host, health: metrics.health! };
  };

  it('health re-instantiates, in place, an instance the host will not retry (its recovery off), and counts it', async () => {
    const { metrics, scheduler, host, health } = build(false);
    const instance = host.load(readComponent(await componentDir('hostile'))).instantiate('main');
    await scheduler.advance(0);
    expect(() => instance.call('misbehave', 3)).toThrow(WebAssembly.RuntimeError);
    await scheduler.advance(10_000); // sampled: the trap is seen, the built-in action starts
    await health.monitor.idle();
    expect(instance.healthy).toBe(true); // the same instance, re-instantiated through reinstantiate()
    expect(instance.healthState().recoveries).toEqual({ attempts: 1, successes: 1 });
    const text = await metrics.registry.expose();
    expect(await sample(text, 'omnimeter_health_recovery_attempts_total', '{check="component:hostile"}')).toBe(1);
    expect(await sample(text, 'omnimeter_health_recovery_successes_total', '{check="component:hostile"}')).toBe(1);
    expect(instance.call('misbehave', 0)).toBeDefined();
  });

  it('while the host has its own attempt pending, health reports it and does not act; the host recovers it', async () => {
    const { metrics, scheduler, host, health } = build({ initialDelayMs: 300 });
    const instance = host.load(readComponent(await componentDir('hostile'))).instantiate('main');
    await scheduler.advance(0);
    expect(() => instance.call('misbehave', 3)).toThrow(WebAssembly.RuntimeError);
    await scheduler.advance(10_000);
    await health.monitor.idle();
    const during = (await health.fresh('readiness')).checks.find((c) => c.name === 'component:hostile');
    expect(during?.status).toBe('unhealthy');
    expect(during?.reason).toMatch(
      /^instance\(s\) main trapped and are isolated: main stopped \(trap: .*\); the host re-instantiates it in \d+ s/,
    );
    await until(() => instance.healthy); // the host's own timer (real time)
    await scheduler.advance(10_000);
    await health.monitor.idle();
    expect((await health.fresh('readiness')).checks.find((c) => c.name === 'component:hostile')?.status).toBe('healthy');
    const text = await metrics.registry.expose();
    expect(text).not.toContain('omnimeter_health_recovery_attempts_total{check="component:hostile"}');
    expect(await sample(text, 'omnimeter_wasm_recovery_attempts_total', '{component="hostile"}')).toBe(1);
    expect(instance.healthState().recoveries).toEqual({ attempts: 1, successes: 1 });
  });
});

describe("an exporter's reconnect", () => {
  it('statsd over TCP: the next export opens a new connection, and both deliver', async () => {
    const connections: Socket[] = [];
    const received: string[] = [];
    const server = createServer((socket) => {
      connections.push(socket);
      socket.on('data', (d) => received.push(...d.toString().split('\n').filter(Boolean)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const config = parseConfig({ exporters: [{ type: 'statsd', protocol: 'tcp', host: '127.0.0.1', port }] }).exporters[0];
      const exporter = statsdExporter(config as never);
      const metrics = createCore();
      const jobs = metrics.counter('jobs_total', { help: 'Jobs.' });
      jobs.inc(2);
      await exporter.export({ families: await metrics.registry.collect(), timeMs: Date.now() });
      await exporter.reconnect!();
      jobs.inc(3);
      await exporter.export({ families: await metrics.registry.collect(), timeMs: Date.now() });
      await until(() => received.length >= 2);
      expect(connections).toHaveLength(2);
      await until(() => connections[0]!.readableEnded || connections[0]!.destroyed); // the old one was closed
      expect(received.filter((l) => l.startsWith('jobs'))).toEqual(['jobs:2|c', 'jobs:3|c']);
      await exporter.close!();
    } finally {
      for (const c of connections) c.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
