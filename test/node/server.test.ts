import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsServer, createMetrics, negotiateFormat } from '../../src/node/index.js';
import type { Registry } from '../../src/core/registry.js';

/** The Accept header Prometheus 2.42 sends on every scrape (see shared notes). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('format negotiation', () => {
  it.each([
    [undefined, 'prometheus'],
    ['', 'prometheus'],
    ['*/*', 'prometheus'],
    ['text/plain', 'prometheus'],
    [PROMETHEUS_ACCEPT, 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'prometheus'],
    ['application/openmetrics-text;version=1.0.0;q=0.2,text/plain;q=0.9', 'prometheus'],
    ['application/openmetrics-text; version="1.0.0"; q=0', 'prometheus'],
    ['garbage;;;,,=', 'prometheus'],
  ])('Accept %j → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});

describe('metrics.serve()', () => {
  const open: { shutdown(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const m of open.splice(0)) await m.shutdown();
  });

  async function serving(options = {}) {
    const metrics = createMetrics({ defaultLabels: { service: 'test' } });
    open.push(metrics);
    metrics.counter('hits_total', { help: 'Hits', labelNames: ['path'] as const }).inc({ path: '/' }, 3);
    const server: MetricsServer = await metrics.serve({ port: 0, ...options });
    return { metrics, server };
  }

  it('binds 127.0.0.1 by default and serves the 0.0.4 format without an Accept header', async () => {
    const { server } = await serving();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await get(server.url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body.toString()).toContain('hits_total{service="test",path="/"} 3');
  });

  it("answers Prometheus's Accept header with OpenMetrics, ending in # EOF", async () => {
    const { server } = await serving();
    const res = await get(server.url, { accept: PROMETHEUS_ACCEPT });
    expect(res.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(res.body.toString().endsWith('# EOF\n')).toBe(true);
    expect(res.headers.vary).toBe('Accept, Accept-Encoding');
  });

  it('can be forced to one format, and ?format= overrides for debugging', async () => {
    const { server } = await serving({ format: 'prometheus' });
    expect((await get(server.url, { accept: PROMETHEUS_ACCEPT })).headers['content-type']).toMatch(/^text\/plain/);
    expect((await get(`${server.url}?format=openmetrics`)).headers['content-type']).toMatch(/^application\/openmetrics-text/);
  });

  it('gzips large bodies when the client accepts gzip', async () => {
    const { metrics, server } = await serving();
    const c = metrics.counter('many_total', { help: 'm', labelNames: ['i'] as const });
    for (let i = 0; i < 200; i++) c.inc({ i: String(i) });
    const plain = await get(server.url);
    const zipped = await get(server.url, { 'accept-encoding': 'gzip, deflate' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    expect(plain.headers['content-encoding']).toBeUndefined();
  });

  it('answers HEAD without a body, 404 elsewhere, 405 for other methods', async () => {
    const { server } = await serving({ path: '/custom' });
    const base = server.url.replace('/custom', '');
    const head = await get(server.url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect((await get(`${base}/metrics`)).status).toBe(404);
    const post = await get(server.url, {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('rejects invalid options with the value named', async () => {
    const metrics = createMetrics();
    open.push(metrics);
    await expect(metrics.serve({ port: 70000 })).rejects.toThrow('serve: port: expected an integer 0-65535, got 70000');
    await expect(metrics.serve({ port: 0, path: 'metrics' })).rejects.toThrow(/path: expected a path starting with "\/"/);
  });

  it('is closed by shutdown()', async () => {
    const { metrics, server } = await serving();
    await metrics.shutdown();
    open.splice(0);
    await expect(get(server.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('exposition of a large registry', () => {
  it('yields to the event loop while rendering, so other work interleaves', async () => {
    const metrics = createMetrics({ maxSeriesPerMetric: 10_000 });
    const h = metrics.histogram('big_seconds', { help: 'b', labelNames: ['i'] as const, unit: 'seconds' });
    for (let i = 0; i < 5000; i++) h.observe({ i: String(i) }, i / 1000);
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const registry = metrics.registry as Registry;
    const text = await registry.expose('prometheus', 0); // slice budget 0: yield after every chunk
    ticking = false;
    expect(text.split('\n').filter((l) => l.startsWith('big_seconds_count')).length).toBe(5000);
    expect(turns).toBeGreaterThanOrEqual(5000 / 256 - 1);
  });
});
