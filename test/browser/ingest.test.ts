import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createMetrics as createPageMetrics, pushSnapshots, toJsonSnapshot } from '../../src/browser/index.js';
import { createMetrics } from '../../src/node/index.js';
import { freePort } from '../support/ports.js';

async function server(ingest?: { maxBytes?: number; origins?: string[] }) {
  const port = await freePort();
  const metrics = createMetrics({ exporters: [{ type: 'prometheus', port, ...(ingest ? { ingest } : {}) }] }, {});
  await metrics.ready();
  return { metrics, base: `http://127.0.0.1:${port}` };
}

describe('/ingest: browser snapshots merged into the host', () => {
  it('merges pushed snapshots as deltas under a source label, visible in the scrape', async () => {
    const { metrics, base } = await server({});
    const page = createPageMetrics();
    const clicks = page.counter('clicks_total', { help: 'Clicks', labelNames: ['button'] as const });
    const load = page.histogram('page_load_seconds', { help: 'Load', buckets: [0.5, 1, 2], unit: 'seconds' });
    page.summary('ignored_summary', { help: 's' }).observe(1);
    const pusher = pushSnapshots(page, { url: `${base}/ingest?source=page-1`, intervalMs: 3_600_000 });
    clicks.inc({ button: 'buy' }, 3);
    load.observe(0.7);
    await pusher.flush();
    clicks.inc({ button: 'buy' }, 2);
    load.observe(1.5);
    await pusher.flush();
    await pusher.flush(); // nothing new: nothing added twice
    expect(pusher.failures).toBe(0);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('clicks_total{source="page-1",button="buy"} 5');
    expect(text).toContain('page_load_seconds_bucket{source="page-1",le="1.0"} 1');
    expect(text).toContain('page_load_seconds_count{source="page-1"} 2');
    expect(text).toMatch(/omnimeter_ingest_rejected_total\{source="page-1",reason="summary_not_mergeable"\} 3/);
    expect(text).not.toContain('ignored_summary{');
    pusher.stop();
    await metrics.shutdown();
  });

  it('refuses bad input clearly: method, JSON, schema, size, source', async () => {
    const { metrics, base } = await server({ maxBytes: 2048 });
    const post = (body: string, query = '') =>
      fetch(`${base}/ingest${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await fetch(`${base}/ingest`)).status).toBe(405);
    expect(await (await post('{nope')).text()).toBe('body: expected JSON\n');
    const invalid = await post(
      JSON.stringify({
        format: 'omnimeter-snapshot',
        version: 1,
        timestamp: 'x',
        timeMs: 1,
        metrics: [{ name: 'bad name', type: 'counter', help: '', unit: '', series: [] }],
      }),
    );
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toMatch(/metrics\[0\]\.name/);
    expect((await post('x'.repeat(4096))).status).toBe(413);
    expect((await post('{}', '?source=bad%20source')).status).toBe(400);
    await metrics.shutdown();
  });

  it('accepts other origins only when configured (CORS), before reading the body', async () => {
    // node:http, because fetch will not send a hand-made Origin header.
    const send = (base: string, method: string, origin: string | undefined, body = '') =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const req = request(
          `${base}/ingest?source=p`,
          { method, headers: { ...(origin ? { origin } : {}), 'content-type': 'text/plain;charset=UTF-8' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const page = createPageMetrics();
    page.counter('hits_total', { help: 'h' }).inc(4);
    const snapshot = JSON.stringify(toJsonSnapshot(await page.registry.collect(), Date.now()));
    const hits = async (m: Awaited<ReturnType<typeof server>>) =>
      (await (await fetch(`${m.base}/metrics`)).text()).match(/^hits_total\{source="p"\} (\d+)/m)?.[1];

    const closed = await server({});
    const host = new URL(closed.base).host;
    expect((await send(closed.base, 'POST', 'https://elsewhere.example', snapshot)).status).toBe(403);
    expect((await send(closed.base, 'OPTIONS', 'https://elsewhere.example')).status).toBe(403);
    expect(await hits(closed)).toBeUndefined();
    const same = await send(closed.base, 'POST', `http://${host}`, snapshot); // a page served by the collector itself
    expect(same.status).toBe(204);
    expect(same.headers['access-control-allow-origin']).toBeUndefined();
    expect((await send(closed.base, 'POST', undefined, snapshot)).status).toBe(204); // not a browser
    expect(await hits(closed)).toBe('4');
    await closed.metrics.shutdown();

    const open = await server({ origins: ['https://shop.example.com'] });
    const preflight = await send(open.base, 'OPTIONS', 'https://shop.example.com');
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example.com',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, authorization',
      vary: 'Origin',
    });
    const pushed = await send(open.base, 'POST', 'https://shop.example.com', snapshot);
    expect(pushed.status).toBe(204);
    expect(pushed.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect((await send(open.base, 'POST', 'https://shop.example.com.evil.test', snapshot)).status).toBe(403);
    expect(await hits(open)).toBe('4');
    await open.metrics.shutdown();

    expect(() =>
      createMetrics({ exporters: [{ type: 'prometheus', ingest: { origins: ['https://shop.example.com/path'] } }] }, {}),
    ).toThrowError(
      /exporters\[0\]\.ingest\.origins\[0\]: expected an origin like "https:\/\/shop\.example\.com" \(scheme, host, port; no path\) or "\*", got "https:\/\/shop\.example\.com\/path"/,
    );
  });

  it('is off unless configured', async () => {
    const { metrics, base } = await server();
    expect((await fetch(`${base}/ingest`, { method: 'POST', body: '{}' })).status).toBe(404);
    await metrics.shutdown();
  });
});
