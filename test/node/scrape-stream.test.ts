/**
 * Large scrapes stream (issue 12): past STREAM_FROM_BYTES the endpoint sends
 * the body as it is rendered (chunked, gzipped piece by piece) instead of
 * holding it whole. Judged by the strict OpenMetrics parser and gunzip.
 */
import { type IncomingHttpHeaders, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsRegistry } from '../../src/api/metrics.js';
import { type NodeMetrics, createMetrics } from '../../src/node/index.js';
import { metricsHandler } from '../../src/node/request-handler.js';
import { STREAM_FROM_BYTES, type ScrapeSink, Scraper } from '../../src/node/scrape.js';
import { startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict } from '../support/validators.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<Got>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A metrics instance with `n` labelled counters and its endpoint. */
async function large(n: number) {
  const metrics: NodeMetrics = createMetrics({ maxSeriesPerMetric: 10_000 }, {});
  open.push({ close: () => metrics.shutdown() });
  const c = metrics.counter('streamed_requests_total', { help: 'requests', labelNames: ['route', 'user'] as const });
  for (let i = 0; i < n; i++) c.inc({ route: `/route/${i % 100}`, user: `user-${i}` }, i);
  const server = await metrics.serve({ port: 0 });
  return { metrics, url: server.url };
}

describe('scrapes larger than STREAM_FROM_BYTES', () => {
  it('stream chunked, without content-length, and read back whole by the strict parser', async () => {
    const { metrics, url } = await large(5000);
    const expected = await metrics.registry.expose('openmetrics');
    expect(expected.length).toBeGreaterThan(2 * STREAM_FROM_BYTES);
    const got = await get(`${url}?format=openmetrics`);
    expect(got.status).toBe(200);
    expect(got.headers['content-length']).toBeUndefined();
    expect(got.headers['transfer-encoding']).toBe('chunked');
    expect(got.body.toString()).toBe(expected);
    const family = parseStrict(got.body.toString()).find((f) => f.name === 'streamed_requests');
    expect(family!.samples.filter((s) => s.name === 'streamed_requests_total')).toHaveLength(5000);
  });

  it('gzip the stream piece by piece: gunzip gives the exposition', async () => {
    const { metrics, url } = await large(5000);
    const got = await get(url, { 'accept-encoding': 'gzip' });
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(got.headers['content-length']).toBeUndefined();
    expect(gunzipSync(got.body).toString()).toBe(await metrics.registry.expose('prometheus'));
  });

  it('keep small bodies whole, with content-length', async () => {
    const { url } = await large(10);
    const got = await get(url);
    expect(Number(got.headers['content-length'])).toBe(got.body.length);
  });

  it('share one render among scrapers that arrive before it streams', async () => {
    const { metrics, url } = await large(5000);
    let renders = 0;
    metrics.gauge('slow_gauge', {
      help: 'collects slowly',
      collect: async () => {
        renders++;
        await new Promise((r) => setTimeout(r, 200));
      },
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(url, { 'accept-encoding': 'gzip' })));
    expect(renders).toBe(1);
    const texts = answers.map((a) => gunzipSync(a.body).toString());
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]!.split('\n').filter((l) => l.startsWith('streamed_requests_total{'))).toHaveLength(5000);
  });

  it('answer through fetchHandler() as a stream too', async () => {
    const { metrics } = await large(5000);
    const handler = metrics.fetchHandler({ health: false, ingest: false });
    const response = await handler(new Request('http://localhost/metrics'));
    expect(response.headers.get('content-length')).toBeNull();
    expect(await response.text()).toBe(await metrics.registry.expose('prometheus'));
    const head = await handler(new Request('http://localhost/metrics', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('cut the response when the render fails after streaming began, never end it as if complete', async () => {
    const line = `${'x'.repeat(1000)}\n`;
    const failing = {
      async *exposeChunks() {
        for (let i = 0; i < 200; i++) yield line; // 200 KB: streaming has begun
        throw new Error('backend went away');
      },
    } as unknown as MetricsRegistry;
    const server = createServer(metricsHandler(failing));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise((r) => server.close(r)) });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    await expect(get(url)).rejects.toThrow();
    await expect(get(url, { 'accept-encoding': 'gzip' })).rejects.toThrow();
  });
});

/** A registry whose exposition is `pieces` parts of ~1 KB, counting what was rendered and whether the render was closed. */
function counted(pieces: number, responseHeaders: () => Record<string, string> = () => ({})) {
  const state = { pulled: 0, closed: false };
  const registry = {
    async *exposeChunks() {
      try {
        for (let i = 0; i < pieces; i++) {
          state.pulled++;
          yield `${'x'.repeat(1000)}\n`;
        }
      } finally {
        state.closed = true; // the exposition's reads of the series tables close here
      }
    },
    responseHeaders,
  } as unknown as MetricsRegistry;
  return { registry, state };
}

function sink(closed: boolean): ScrapeSink & { started: boolean } {
  return {
    started: false,
    start() {
      this.started = true;
    },
    write: () => undefined,
    end() {},
    abort() {},
    closed,
  };
}

describe('a streamed render stops when nobody can receive it', () => {
  it('closes the render when the response headers cannot be made, and rejects (the handler answers 500)', async () => {
    const { registry, state } = counted(1000, () => {
      throw new Error('header source failed');
    });
    await expect(new Scraper(registry, 10).scrape('prometheus', true, sink(false))).rejects.toThrow('header source failed');
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(1000);
  });

  it('renders no further than the first 64 KiB when every scraper left or asked with HEAD, gzip or not', async () => {
    for (const gzip of [false, true]) {
      const { registry, state } = counted(20_000);
      const head = sink(true);
      await new Scraper(registry, 10).scrape('prometheus', gzip, head);
      expect(head.started).toBe(true); // a HEAD answer still has its status and headers
      expect(state.closed).toBe(true);
      expect(state.pulled).toBeLessThanOrEqual(Math.ceil(STREAM_FROM_BYTES / 1000) + 1);
    }
  });
});

describeWithTools(['prometheus'], 'a real Prometheus scraping a streamed endpoint', () => {
  it('stores every series of a body streamed chunked and gzipped', async () => {
    const { metrics, url } = await large(5000);
    const port = Number(new URL(url).port);
    const prometheus = await startPrometheus([{ job: 'streamed', port }]);
    open.push({ close: () => prometheus.stop() });
    // Prometheus asks for OpenMetrics with gzip: the body is well past STREAM_FROM_BYTES.
    const [count] = await prometheus.query('count(streamed_requests_total)');
    expect(count!.value[1]).toBe('5000');
    const [sum] = await prometheus.query('sum(streamed_requests_total)');
    expect(Number(sum!.value[1])).toBe((4999 * 5000) / 2);
    expect((await metrics.registry.expose('openmetrics')).length).toBeGreaterThan(STREAM_FROM_BYTES);
  }, 90_000);
});
