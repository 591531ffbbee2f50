/**
 * The HTTP endpoint under hostile clients (issue 10): timeouts of its own,
 * shared renders for concurrent scrapes, a bound on scrapes answered at once.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeMetrics, createMetrics } from '../../src/node/index.js';
import { freePort } from '../support/ports.js';

const open: NodeMetrics[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.shutdown();
});

async function serving(prometheus: Record<string, unknown> = {}) {
  const port = await freePort();
  const metrics = createMetrics({ exporters: [{ type: 'prometheus', port, ...prometheus }] }, {});
  open.push(metrics);
  await metrics.ready();
  return { metrics, port, url: `http://127.0.0.1:${port}/metrics` };
}

/** Writes `data` on a raw connection and resolves with what the server sent before closing it, and when. */
async function hold(port: number, data: string): Promise<{ answer: string; afterMs: number }> {
  const socket = connect(port, '127.0.0.1');
  const start = Date.now();
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d));
  socket.on('error', () => {});
  socket.write(data);
  await new Promise((r) => socket.once('close', r));
  return { answer, afterMs: Date.now() - start };
}

describe('server timeouts', () => {
  it('closes a connection whose headers never end (408) after timeouts.headers', async () => {
    const { port } = await serving({ timeouts: { headers: '300ms', request: '5s' } });
    const { answer, afterMs } = await hold(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeLessThan(3000);
  });

  it('closes an idle keep-alive connection after timeouts.keepAlive (Node keeps it 5 s by default)', async () => {
    const { port } = await serving({ timeouts: { keepAlive: '300ms' } });
    const { answer, afterMs } = await hold(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(afterMs).toBeLessThan(3000);
  });

  it('closes a connection whose body never ends after timeouts.request (a slow body was held for 307 s)', async () => {
    const { port } = await serving({ timeouts: { request: '500ms' }, ingest: {} });
    const { answer, afterMs } = await hold(port, 'POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"format"');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeLessThan(3000);
  });

  it('rejects timeouts of the wrong kind at configuration', () => {
    expect(() => createMetrics({ exporters: [{ type: 'prometheus', timeouts: { headers: 'soon' } }] } as never, {})).toThrowError(
      /exporters\[0\]\.timeouts\.headers: expected a positive duration/,
    );
  });
});

describe('concurrent scrapes', () => {
  it('share one render per format', async () => {
    const { metrics, url } = await serving();
    let renders = 0;
    metrics.gauge('slow_gauge', {
      help: 'collects slowly',
      collect: async () => {
        renders++;
        await new Promise((r) => setTimeout(r, 100));
      },
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(url).then(async (r) => [r.status, await r.text()] as const)));
    expect(answers.every(([status]) => status === 200)).toBe(true);
    expect(new Set(answers.map(([, body]) => body)).size).toBe(1);
    expect(renders).toBe(1);
    await Promise.all([fetch(url), fetch(`${url}?format=openmetrics`), fetch(`${url}.json`)]);
    expect(renders).toBe(4); // one per format
  });

  it('answers at most maxConcurrentScrapes at once; the others get 503 with Retry-After', async () => {
    const { metrics, url } = await serving({ maxConcurrentScrapes: 4 });
    metrics.gauge('slow_gauge', { help: 's', collect: () => new Promise((r) => setTimeout(r, 200)) });
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(url)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 503, 503, 503, 503, 503, 503]);
    expect(answers.find((a) => a.status === 503)!.headers.get('retry-after')).toBe('1');
    expect((await fetch(url)).status).toBe(200); // the bound frees as scrapes finish
  });
});
