/**
 * /ingest under hostile pushes (issue 10): each test reproduces an attack
 * that worked before admission existed, through the real HTTP endpoint.
 */
import { readFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, collector, counter, send, snapshot } from './support.js';

const open: Collector[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.metrics.shutdown();
});
async function start(ingest: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const c = await collector({ rateLimit: { sourcePushesPerSecond: 1000, pushesPerSecond: 10_000 }, ...ingest }, extra);
  open.push(c);
  return c;
}

const histogram = (name: string, buckets: number[], labels: Record<string, string> = {}) => ({
  name,
  type: 'histogram',
  buckets,
  series: [{ labels, bucketCounts: [...buckets.map(() => 1), 1], count: buckets.length + 1, sum: 1 }],
});

describe('what one push may carry', () => {
  it('refuses a histogram with more buckets than the limit (422, counted); the scrape does not grow', async () => {
    const c = await start();
    const before = (await c.scrape()).length;
    // ~112 KB: before admission this made every later scrape ~48 MB.
    const buckets = Array.from({ length: 16_000 }, (_, i) => i + 1);
    const answer = await c.push('p', snapshot([histogram('huge_seconds', buckets)]));
    expect(answer.status).toBe(422);
    const account = JSON.parse(answer.text);
    expect(account).toMatchObject({ accepted: { series: 0 }, refused: { series: 1, reasons: { too_many_buckets: 1 } } });
    expect(account.examples[0]).toMatch(/metrics\[0\] "huge_seconds": 16000 buckets, limit 256/);
    const after = await c.scrape();
    expect(after).not.toContain('huge_seconds');
    expect(after.length).toBeLessThan(before + 2000); // the refusal counter's own lines
    expect(await c.sample('omnimeter_ingest_rejected_total{source="p",reason="too_many_buckets"}')).toBe(1);
  });

  it('bounds what one source adds to every scrape, whatever it pushes (maxExpositionBytesPerSource)', async () => {
    const budget = 64 * 1024;
    const c = await start({ maxExpositionBytesPerSource: budget });
    const before = (await c.scrape('openmetrics')).length;
    const buckets = Array.from({ length: 50 }, (_, i) => i + 1);
    let accepted = 0;
    for (let push = 0; push < 20; push++) {
      const families = Array.from({ length: 5 }, (_, i) => histogram('wide_seconds', buckets, { k: `${push}-${i}-${'x'.repeat(20)}` }));
      const answer = await c.push('p', snapshot([{ ...families[0]!, series: families.flatMap((f) => f.series) }]));
      if (answer.status === 204 || answer.status === 200) accepted += answer.status === 204 ? 5 : JSON.parse(answer.text).accepted.series;
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(100);
    const growth = (await c.scrape('openmetrics')).length - before;
    expect(growth).toBeLessThanOrEqual(budget + 4096); // + the collector's own refusal and gauge lines
    expect(await c.sample('omnimeter_ingest_rejected_total{source="p",reason="exposition_limit"}')).toBeGreaterThan(0);
  });

  it('keeps series limits per series, not per metric, and says so when it accepts only part (200 + JSON)', async () => {
    const c = await start({ maxSeriesPerSource: 400 });
    const series = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ labels: { i: String(from + i) }, value: 1 }));
    // 300 series of one counter: before, only 256 were merged (one metric per series) and the client got 204.
    expect((await c.push('p', snapshot([counter('clicks', series(0, 300))]))).status).toBe(204);
    const text = await c.scrape();
    expect(text.split('\n').filter((l) => l.startsWith('clicks_total{source="p"')).length).toBe(300);
    const partial = await c.push('p', snapshot([counter('clicks', series(0, 450))]));
    expect(partial.status).toBe(200);
    const account = JSON.parse(partial.text);
    // docs/security.md shows this answer: its sample is this one.
    const documented = JSON.parse(
      /```json[^\n]*\n([^`]+)```/.exec(readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8'))![1]!,
    );
    expect({ ...account, examples: account.examples.slice(0, 1) }).toEqual(documented);
    expect(account.examples).toHaveLength(5);
  });

  it('refuses negative counters (they inflated the next delta), non-finite values and bucket counts that are not whole', async () => {
    const c = await start();
    expect((await c.push('p', snapshot([counter('neg', [{ value: -5 }])]))).status).toBe(422);
    expect((await c.push('p', snapshot([counter('neg', [{ value: 10 }])]))).status).toBe(204);
    expect(await c.sample('neg_total{source="p"}')).toBe(10); // was 15
    const infinite = await c.push(
      'p',
      `{"format":"omnimeter-snapshot","version":1,"timestamp":"x","timeMs":1,"metrics":[{"name":"g","type":"gauge","help":"","unit":"","series":[{"labels":{},"value":1e999}]}]}`,
    );
    expect(infinite.status).toBe(400); // JSON has no Infinity; 1e999 parses to it, and the schema refuses it
    expect(infinite.text).toContain('metrics[0].series[0].value');
    const fractional = await c.push(
      'p',
      snapshot([{ ...histogram('h_seconds', [1, 2]), series: [{ labels: {}, bucketCounts: [1, 519.49, 0], count: 2, sum: 1 }] }]),
    );
    expect(JSON.parse(fractional.text).refused.reasons).toEqual({ invalid_value: 1 }); // the strict parser refused the scrape that followed
    const negative = await c.push(
      'p',
      snapshot([{ ...histogram('h_seconds', [1, 2]), series: [{ labels: {}, bucketCounts: [3, -1, 0], count: 2, sum: 1 }] }]),
    );
    expect(negative.status).toBe(400); // the snapshot schema refuses negative counts
  });

  it("may not write into the collector's own omnimeter_* series or set its labels", async () => {
    const c = await start({}, { defaultLabels: { service: 'collector' } });
    const own = await c.push('p', snapshot([counter('omnimeter_ingest_rejected', [{ labels: { source: 'x', reason: 'y' }, value: 1e9 }])]));
    expect(own.status).toBe(422);
    expect(JSON.parse(own.text).refused.reasons).toEqual({ reserved_name: 1 });
    expect(await c.sample('omnimeter_ingest_rejected_total{service="collector",source="x",reason="y"}')).toBeUndefined();
    const labels = await c.push(
      'p',
      snapshot([counter('a', [{ labels: { source: 'spoofed' }, value: 1 }]), counter('b', [{ labels: { service: 'x' }, value: 1 }])]),
    );
    expect(JSON.parse(labels.text).refused.reasons).toEqual({ invalid_series: 2 });
  });

  it('bounds metrics per source, the lengths of names and label values, and the exposition over all sources', async () => {
    const c = await start({ maxMetricsPerSource: 3, maxExpositionBytes: 8 * 1024 });
    const many = await c.push('m', snapshot(Array.from({ length: 5 }, (_, i) => counter(`m${i}`, [{ value: 1 }]))));
    expect(JSON.parse(many.text)).toMatchObject({ accepted: { series: 3 }, refused: { series: 2, reasons: { metric_limit: 2 } } });
    const long = await c.push(
      'l',
      snapshot([counter('n'.repeat(300), [{ value: 1 }]), counter('long_value', [{ labels: { k: 'v'.repeat(2000) }, value: 1 }])]),
    );
    expect(long.status).toBe(422);
    expect(JSON.parse(long.text).refused.reasons).toEqual({ invalid_metric: 1, invalid_series: 1 });
    // Twenty sources, each well inside its own budget, together stop at the total.
    const wide = (s: number) =>
      counter(
        'wide',
        Array.from({ length: 10 }, (_, i) => ({ labels: { k: `${s}-${i}-${'v'.repeat(50)}` }, value: 1 })),
      );
    let refused = 0;
    for (let s = 0; s < 20; s++) {
      const answer = await c.push(`s${s}`, snapshot([wide(s)]));
      if (answer.status !== 204) refused += JSON.parse(answer.text).refused.reasons.exposition_limit ?? 0;
    }
    expect(refused).toBeGreaterThan(0);
    for (const format of ['openmetrics', 'prometheus'] as const) {
      const pushed = (await c.scrape(format)).split('\n').filter((l) => /^(# \w+ )?(wide|m\d)/.test(l));
      expect(pushed.join('\n').length).toBeLessThanOrEqual(8 * 1024);
    }
    expect(await c.sample('omnimeter_ingest_rejected_total{source="m",reason="metric_limit"}')).toBe(2);
  });

  it('answers an invalid snapshot with a bounded message instead of echoing it (900 KB in, under 2 KB out)', async () => {
    const c = await start();
    const body = JSON.stringify({ ...snapshot([]), metrics: Array.from({ length: 37_000 }, (_, i) => ({ name: `bad name ${i}` })) });
    expect(body.length).toBeGreaterThan(900_000);
    const answer = await c.push('p', body);
    expect(answer.status).toBe(400);
    expect(answer.text.length).toBeLessThan(2200);
    expect(answer.text).toMatch(/^invalid snapshot:\n {2}metrics\[0\]/);
    expect(answer.text).toMatch(/more issues/);
  });

  it('refuses deeply nested bodies before parsing them', async () => {
    const c = await start();
    const answer = await c.push('p', `${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    expect(answer.status).toBe(400);
    expect(answer.text).toBe('body: nested deeper than 16: not a snapshot\n');
    expect(await c.sample('omnimeter_ingest_refused_pushes_total{reason="too_deep"}')).toBe(1);
  });
});

describe('memory stays bounded whatever is refused', () => {
  it('a source at its series limit pushing 200,000 new label sets grows the heap by little', async () => {
    const c = await start({ maxSeriesPerSource: 10, maxBytes: 8 * 1024 * 1024 });
    const gc = (globalThis as { gc?: () => void }).gc ?? (await import('node:v8')).setFlagsFromString('--expose-gc');
    const collect = (globalThis as { gc?: () => void }).gc ?? (await import('node:vm')).runInNewContext('gc');
    void gc;
    expect(
      (
        await c.push(
          'p',
          snapshot([
            counter(
              'fill',
              Array.from({ length: 10 }, (_, i) => ({ labels: { i: String(i) }, value: 1 })),
            ),
          ]),
        )
      ).status,
    ).toBe(204);
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let push = 0; push < 20; push++) {
      const series = Array.from({ length: 10_000 }, (_, i) => ({ labels: { i: `${push}-${i}` }, value: 1 }));
      const answer = await c.push('p', snapshot([counter('fill', series)]));
      expect(JSON.parse(answer.text).refused.reasons).toEqual({ series_limit: 10_000 });
    }
    collect();
    const grown = process.memoryUsage().heapUsed - before;
    // Before admission each refused label set stayed in the merge's maps (~365 bytes each: ~73 MB here).
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    expect(await c.sample('omnimeter_ingest_rejected_total{source="p",reason="series_limit"}')).toBe(200_000);
  });
});

describe('sources and rates', () => {
  it('expires idle sources, so a thousand one-off pushes do not lock new sources out for good', async () => {
    const c = await start({ maxSources: 20, sourceIdleTimeout: '2s' });
    for (let i = 0; i < 20; i++) expect((await c.push(`s${i}`, snapshot([counter('once', [{ value: 1 }])]))).status).toBe(204);
    const locked = await c.push('newcomer', snapshot([counter('once', [{ value: 1 }])]));
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toBeDefined();
    expect(await c.sample('once_total{source="s0"}')).toBe(1);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await c.push('newcomer', snapshot([counter('once', [{ value: 1 }])]))).status).toBe(204);
    // An expired source's series leave the exposition.
    expect(await c.sample('once_total{source="s0"}')).toBeUndefined();
    expect(await c.sample('once_total{source="newcomer"}')).toBe(1);
  });

  it('limits pushes per source and in total (429 with Retry-After), counted by reason', async () => {
    const c = await start({ rateLimit: { sourcePushesPerSecond: 1, pushesPerSecond: 5 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await c.push('fast', snapshot([counter('x', [{ value: i }])]))).status);
    expect(statuses).toEqual([204, 204, 429, 429]); // a burst of two, then one per second
    const others = [];
    for (let i = 0; i < 12; i++) others.push((await c.push(`o${i}`, snapshot([]))).status);
    expect(others.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(await c.sample('omnimeter_ingest_refused_pushes_total{reason="rate_limit"}')).toBeGreaterThanOrEqual(3);
  });

  it('limits parsed bytes per second over all sources', async () => {
    const c = await start({
      maxBytes: 1024 * 1024,
      rateLimit: { bytesPerSecond: 1024 * 1024, sourcePushesPerSecond: 1000, pushesPerSecond: 1000 },
    });
    const big = JSON.stringify({ ...snapshot([]), timestamp: 'x'.repeat(1000_000) });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await c.push(`b${i}`, big)).status);
    expect(statuses.slice(0, 2)).toEqual([204, 204]); // the bucket holds two maximal bodies
    expect(statuses.slice(2)).toContain(429);
  });
});

describe('bodies in flight', () => {
  /** A raw connection that sends a POST's headers and the first `sent` bytes of a body, then waits. */
  async function partial(c: Collector, length: number, sent: number): Promise<Socket> {
    const socket = connect(Number(new URL(c.base).port), '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    socket.write(`POST /ingest?source=slow HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n${'x'.repeat(sent)}`);
    await new Promise((r) => setTimeout(r, 50));
    return socket;
  }

  it('slow bodies hold only the bytes they sent, not a slot: twenty of them do not stop a push', async () => {
    const c = await start();
    const slow = await Promise.all(Array.from({ length: 20 }, () => partial(c, 100_000, 1)));
    expect((await c.push('p', snapshot([counter('ok', [{ value: 1 }])]))).status).toBe(204); // was 503 with a slot per body
    for (const s of slow) s.destroy();
  });

  it('bounds the bytes of bodies being received (maxBufferedBytes): beyond it 503, and the bytes come back', async () => {
    const c = await start({ maxBufferedBytes: 100 * 1024 });
    const held = await partial(c, 200_000, 90 * 1024);
    const body = JSON.stringify({ ...snapshot([counter('ok', [{ value: 1 }])]), timestamp: 'x'.repeat(20_000) });
    const busy = await c.push('p', body);
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    held.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await c.push('p', body)).status).toBe(204);
    expect(await c.sample('omnimeter_ingest_refused_pushes_total{reason="busy"}')).toBe(1);
  });
});

describe('who may push', () => {
  it('decides same-origin from the listener address, not the Host header (DNS rebinding)', async () => {
    const c = await start();
    const port = new URL(c.base).port;
    const body = JSON.stringify(snapshot([counter('rebind', [{ value: 1 }])]));
    const rebound = await send(`${c.base}/ingest?source=p`, 'POST', body, {
      origin: `http://evil.example:${port}`,
      host: `evil.example:${port}`,
    });
    expect(rebound.status).toBe(403);
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`])
      expect((await send(`${c.base}/ingest?source=p`, 'POST', body, { origin, host: 'anything' })).status).toBe(204);
    expect((await send(`${c.base}/ingest?source=p`, 'POST', body, { origin: 'http://127.0.0.1:1' })).status).toBe(403);
  });
});
