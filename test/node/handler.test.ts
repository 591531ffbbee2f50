/**
 * The endpoints mounted in real applications: an Express app (node-style
 * handler) and a Hono app on @hono/node-server (fetch-style handler), each
 * with routes of its own, scraped by a real Prometheus server through the
 * full app; /metrics negotiated, gzipped and behind auth, /metrics.json,
 * /healthz, /readyz and /ingest reached through the app. Regression: metrics
 * on with health off, and health on with every check disabled.
 */
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { serve as serveHono } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics as createPageMetrics } from '../../src/index.js';
import { type EndpointOptions, type NodeMetrics, type NodeMetricsOptions, createMetrics, toJsonSnapshot } from '../../src/node/index.js';
import { startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function metricsWith(options: NodeMetricsOptions): NodeMetrics {
  const metrics = createMetrics(options);
  cleanup.push(() => metrics.shutdown());
  const calls = metrics.counter('app_requests_total', { help: 'Requests the app served.', labelNames: ['route'] });
  calls.inc({ route: '/hello' }, 3);
  for (let i = 0; i < 200; i++) metrics.counter(`filler_${i}_total`, { help: 'Makes the body large enough to gzip.' }).inc();
  return metrics;
}

async function expressApp(metrics: NodeMetrics, options?: EndpointOptions): Promise<string> {
  const app = express();
  app.get('/hello', (_req, res) => void res.send('hello from express'));
  app.use(metrics.handler(options));
  app.use((_req, res) => void res.status(404).send('express 404'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function honoApp(metrics: NodeMetrics, options?: EndpointOptions): Promise<string> {
  const app = new Hono();
  app.get('/hello', (c) => c.text('hello from hono'));
  const handler = metrics.fetchHandler(options);
  for (const route of handler.routes) app.all(route, (c) => handler(c.req.raw));
  const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const apps = [
  ['Express', expressApp],
  ['Hono (@hono/node-server)', honoApp],
] as const;

const HEALTH = { enabled: true, exporters: { enabled: false }, components: { enabled: false }, series: { enabled: false } };

describe.each(apps)('%s app with the handler mounted', (_name, start) => {
  it('serves its own routes and ours: /metrics negotiated and gzipped, /metrics.json, /healthz, /readyz', async () => {
    const metrics = metricsWith({ health: HEALTH });
    metrics.health!.register('db', () => ({ status: 'degraded', reason: 'replica lag 3 s' }));
    const base = await start(metrics);
    expect(await (await fetch(`${base}/hello`)).text()).toMatch(/^hello from/);
    const prom = await fetch(`${base}/metrics`);
    expect(prom.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await prom.text()).toContain('app_requests_total{route="/hello"} 3');
    const om = await fetch(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect((await om.text()).trimEnd().endsWith('# EOF')).toBe(true);
    // fetch decompresses; node:http's raw view shows the encoding.
    const raw = await rawGet(`${base}/metrics`, { 'accept-encoding': 'gzip' });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toContain('app_requests_total');
    const json = (await (await fetch(`${base}/metrics.json`)).json()) as { format: string; metrics: { name: string }[] };
    expect(json.format).toBe('omnimeter-snapshot');
    expect(json.metrics.some((f) => f.name === 'app_requests')).toBe(true);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready: degraded\ndegraded  db: replica lag 3 s\n');
    const alive = await fetch(`${base}/healthz?format=json`);
    expect(alive.status).toBe(200);
    expect(await alive.json()).toMatchObject({ scope: 'liveness', status: 'healthy', checks: [] });
    expect(await (await fetch(`${base}/nothing-here`)).text()).not.toContain('metrics');
  });

  it('a failing critical check turns /readyz to 503 through the app', async () => {
    const metrics = metricsWith({ health: { ...HEALTH, cache: '1ms' } });
    let up = true;
    metrics.health!.register('db', () => up || { status: 'unhealthy', reason: 'connection refused' });
    const base = await start(metrics);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    up = false;
    await new Promise((r) => setTimeout(r, 5));
    const down = await fetch(`${base}/readyz`, { headers: { accept: 'application/json' } });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      status: 'unhealthy',
      checks: [{ name: 'db', status: 'unhealthy', reason: 'connection refused' }],
    });
  });

  it('auth protects /metrics and /ingest but not the probes; /ingest merges pushed snapshots', async () => {
    const metrics = metricsWith({ health: HEALTH });
    const base = await start(metrics, { auth: { bearerToken: 't0ken' }, ingest: {} });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer t0ken' } })).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const page = createPageMetrics();
    page.counter('page_clicks_total', { help: 'Clicks.' }).inc(4);
    const snapshot = toJsonSnapshot(await page.registry.collect(), Date.now());
    const push = (auth?: string) =>
      fetch(`${base}/ingest?source=page`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify(snapshot),
      });
    expect((await push()).status).toBe(401);
    const pushed = await push('Bearer t0ken');
    expect(pushed.status, await pushed.clone().text()).toBeLessThan(300);
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer t0ken' } })).text();
    expect(text).toMatch(/^page_clicks_total\{source="page"\} 4$/m);
  });
});

describe('regressions: endpoints behave as documented, never as an always-200', () => {
  it('metrics on, health off: /healthz and /readyz are not served (the app decides: 404 here)', async () => {
    const metrics = metricsWith({});
    expect(metrics.health).toBeUndefined();
    const base = await expressApp(metrics);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('express 404');
    }
    expect(metrics.handler().routes).toEqual(['/metrics', '/metrics.json']);
    expect(await (await fetch(`${base}/metrics`)).text()).not.toContain('omnimeter_health_status');
  });

  it('health on, every check disabled: an explicit note, 200; requireChecks: 503', async () => {
    const open = await expressApp(metricsWith({ health: HEALTH }));
    const res = await fetch(`${open}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      'ready: healthy\nnote: no health checks registered or enabled: this only shows that the process answers\n',
    );
    const strict = await honoApp(metricsWith({ health: { ...HEALTH, requireChecks: true } }));
    const refused = await fetch(`${strict}/readyz`);
    expect(refused.status).toBe(503);
    expect(await refused.text()).toMatch(/^not ready: unhealthy\nnote: no health checks registered or enabled, and requireChecks is set/);
  });
});

describeWithTools(['prometheus'], 'a real Prometheus scrapes the apps', () => {
  it("scrapes /metrics through Express and Hono and stores the apps' series", async () => {
    const expressMetrics = metricsWith({ defaultLabels: { app: 'express' }, health: HEALTH });
    const honoMetrics = metricsWith({ defaultLabels: { app: 'hono' }, health: HEALTH });
    const ports = [await expressApp(expressMetrics), await honoApp(honoMetrics)].map((u) => Number(new URL(u).port));
    const prometheus = await startPrometheus([
      { job: 'express', port: ports[0]! },
      { job: 'hono', port: ports[1]! },
    ]);
    cleanup.push(() => prometheus.stop());
    const samples = await prometheus.query('app_requests_total');
    expect(samples.map((s) => [s.metric.job, s.metric.app, s.value[1]]).sort()).toEqual([
      ['express', 'express', '3'],
      ['hono', 'hono', '3'],
    ]);
    // Health as metrics reaches Prometheus too (every check disabled: healthy, with its note on /readyz).
    const health = await prometheus.query('omnimeter_health_overall_status{scope="readiness"}');
    expect(health.map((s) => [s.metric.job, s.value[1]]).sort()).toEqual([
      ['express', '1'],
      ['hono', '1'],
    ]);
    const targets = await prometheus.targets();
    expect(targets.map((t) => t.health)).toEqual(['up', 'up']);
  });
});

function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return import('node:http').then(
    ({ get }) =>
      new Promise((resolve, reject) => {
        get(url, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      }),
  );
}

describe('serve() and configured exporters use the same handler', () => {
  it('the prometheus exporter port answers /readyz while health is on, 404 while off', async () => {
    const { freePort } = await import('../support/ports.js');
    const on = await freePort();
    const off = await freePort();
    const withHealth = metricsWith({ exporters: [{ type: 'prometheus', port: on }], health: HEALTH });
    const without = metricsWith({ exporters: [{ type: 'prometheus', port: off }] });
    await withHealth.ready();
    await without.ready();
    withHealth.health!.register('db', () => ({ status: 'unhealthy', reason: 'down' }));
    const ready = await fetch(`http://127.0.0.1:${on}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('not ready: unhealthy\nunhealthy db: down\n');
    expect((await fetch(`http://127.0.0.1:${on}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${off}/readyz`)).status).toBe(404);
    const served = await withHealth.serve({ port: 0 });
    expect((await fetch(served.url.replace(/\/metrics$/, '/readyz'))).status).toBe(503);
  });
});
