/**
 * Response headers a collection sets (registry.addResponseHeaders): read once
 * the collection has run, on whole and streamed answers, gzipped or not, and
 * through fetchHandler. The cluster primary's X-Omnimeter-Partial rides on it
 * (test/cluster/aggregation.test.ts checks that with real workers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/node/index.js';
import { STREAM_FROM_BYTES } from '../../src/node/scrape.js';

const open: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.shutdown();
});

/** A registry whose collect hook counts collections, and a header source that reports the count. */
function counting(series: number) {
  const metrics = createMetrics();
  open.push(metrics);
  const c = metrics.counter('answered_total', { help: 'a', labelNames: ['route'] as const });
  for (let i = 0; i < series; i++) c.inc({ route: `/r/${i}` });
  let collections = 0;
  metrics.registry.addCollectHook('count', () => void collections++);
  const remove = metrics.registry.addResponseHeaders(() => (collections % 2 === 1 ? { 'x-collection': String(collections) } : undefined));
  return { metrics, remove };
}

describe('response headers from a collection', () => {
  it('whole and streamed bodies, plain and gzipped, carry what the collection that rendered them set', async () => {
    for (const series of [3, 5000]) {
      const { metrics, remove } = counting(series);
      const handler = metrics.fetchHandler({ health: false, ingest: false });
      const first = await handler(new Request('http://localhost/metrics'));
      const body = await first.text();
      expect(body.length >= STREAM_FROM_BYTES, `${series} series streamed`).toBe(series > 100);
      expect(first.headers.get('x-collection')).toBe('1'); // set by the collection that rendered this answer
      const second = await handler(new Request('http://localhost/metrics', { headers: { 'accept-encoding': 'gzip' } }));
      await second.arrayBuffer();
      expect(second.headers.get('x-collection')).toBeNull(); // the source gave nothing this time
      const third = await handler(new Request('http://localhost/metrics', { headers: { 'accept-encoding': 'gzip' } }));
      await third.arrayBuffer();
      expect(third.headers.get('x-collection')).toBe('3');
      expect(third.headers.get('content-type')).toMatch(/^text\/plain/); // a source cannot drop the format's own headers
      remove();
      const fourth = await handler(new Request('http://localhost/metrics'));
      await fourth.text();
      expect(fourth.headers.get('x-collection')).toBeNull();
    }
  });

  it('a source cannot override content-type or vary', async () => {
    const metrics = createMetrics();
    open.push(metrics);
    metrics.registry.addResponseHeaders(() => ({ 'content-type': 'text/html', vary: '*', 'x-ok': 'yes' }));
    const res = await metrics.fetchHandler({ health: false, ingest: false })(new Request('http://localhost/metrics'));
    await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('vary')).toBe('Accept, Accept-Encoding');
    expect(res.headers.get('x-ok')).toBe('yes');
  });
});
