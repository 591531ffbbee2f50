import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020.js';
import logfmt from 'logfmt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import type { ExportBatch, PushExporter } from '../../src/api/exporter.js';
import { parseConfig } from '../../src/config/load.js';
import { consoleExporter, logfmtValue } from '../../src/exporters/console.js';
import { bucketQuantile } from '../../src/exposition/quantile.js';
import { ExportPipeline } from '../../src/exporters/pipeline.js';
import { createMetrics } from '../../src/node/index.js';
import { createMetrics as createCore } from '../../src/index.js';

const snapshotSchema = JSON.parse(readFileSync(new URL('../../docs/snapshot.schema.json', import.meta.url), 'utf8'));
const validate = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false }).compile(snapshotSchema);

describe('JSON file exporter', () => {
  it('writes the documented snapshot atomically; ajv validates it against docs/snapshot.schema.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-json-'));
    const path = join(dir, 'out', 'metrics.json');
    const metrics = createMetrics({ collectionInterval: '1h', exporters: [{ type: 'json', path }] });
    metrics.counter('hits_total', { help: 'h', labelNames: ['path'] as const }).inc({ path: '/' }, 2);
    metrics.summary('empty_seconds', { help: 'e', quantiles: [0.5] });
    metrics.histogram('size_bytes', { help: 's', buckets: [10], unit: 'bytes' }).observe(5);
    await metrics.flush();
    const first = JSON.parse(readFileSync(path, 'utf8'));
    expect(validate(first), JSON.stringify(validate.errors)).toBe(true);
    metrics.counter('hits_total', { help: 'h', labelNames: ['path'] as const }).inc({ path: '/' });
    await metrics.shutdown();
    const last = JSON.parse(readFileSync(path, 'utf8'));
    expect(validate(last)).toBe(true);
    const hits = last.metrics.find((m: { name: string }) => m.name === 'hits');
    expect(hits.series[0]).toMatchObject({ labels: { path: '/' }, value: 3 });
    expect(last.metrics.find((m: { name: string }) => m.name === 'empty_seconds').series[0].quantileValues).toEqual([null]);
    expect(readdirSync(join(dir, 'out'))).toEqual(['metrics.json']); // no temp files left behind
  });

  it('appends NDJSON and rotates by size, keeping maxFiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-ndjson-'));
    const path = join(dir, 'metrics.ndjson');
    const metrics = createMetrics({
      collectionInterval: '1h',
      exporters: [{ type: 'json', path, mode: 'ndjson', maxBytes: 2048, maxFiles: 2 }],
    });
    const c = metrics.counter('n_total', { help: 'n' });
    for (let i = 0; i < 12; i++) {
      c.inc();
      await metrics.flush();
    }
    await metrics.shutdown();
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['metrics.ndjson', 'metrics.ndjson.1', 'metrics.ndjson.2']);
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const line of lines) expect(validate(line)).toBe(true);
    expect(lines.at(-1).metrics.find((m: { name: string }) => m.name === 'n').series[0].value).toBe(12);
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(2048);
  });
});

describe('console exporter', () => {
  const capture = (isTTY = false) => {
    let text = '';
    const stream = Object.assign(new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), { isTTY });
    return { stream, text: () => text };
  };
  const batchOf = async (setup: (m: ReturnType<typeof createCore>) => void, timeMs = Date.now()): Promise<ExportBatch> => {
    const m = createCore();
    setup(m);
    return { families: await m.registry.collect(), timeMs };
  };

  it('writes logfmt lines that a logfmt parser reads back, labels and values intact', async () => {
    const out = capture();
    const exporter = consoleExporter(
      parseConfig({ exporters: [{ type: 'console', format: 'logfmt' }] }).exporters[0] as never,
      'console',
      out.stream,
    );
    await exporter.export(
      await batchOf((m) => m.counter('c_total', { help: 'c', labelNames: ['v'] as const }).inc({ v: 'a "quoted" value=1 \\ x' }, 4)),
    );
    const line = out
      .text()
      .split('\n')
      .find((l) => l.includes('metric=c_total'))!;
    expect(logfmt.parse(line)).toMatchObject({ metric: 'c_total', type: 'counter', v: 'a "quoted" value=1 \\ x', value: '4' });
  });

  it('escapes logfmt values so any string round-trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), (value) => {
        expect(logfmt.parse(`k=${logfmtValue(value)}`).k).toBe(value);
      }),
    );
  });

  it('prints a table with counter rates and histogram quantiles, coloured only on a TTY', async () => {
    const plain = capture(false);
    const tty = capture(true);
    const config = parseConfig({ exporters: [{ type: 'console' }] }).exporters[0] as never;
    for (const out of [plain, tty]) {
      const exporter = consoleExporter(config, 'console', out.stream);
      const m = createCore();
      const c = m.counter('req_total', { help: 'r' });
      const h = m.histogram('lat_seconds', { help: 'l', buckets: [1, 2, 4] });
      c.inc(10);
      await exporter.export({ families: await m.registry.collect(), timeMs: 1_000_000 });
      c.inc(20);
      for (let i = 0; i < 10; i++) h.observe(1.5);
      await exporter.export({ families: await m.registry.collect(), timeMs: 1_002_000 });
    }
    expect(plain.text()).toContain('rate=10/s'); // 20 more in 2 s
    expect(plain.text()).toMatch(/lat_seconds .* count=10 .* p50=1\.5/);
    expect(plain.text()).not.toContain('\x1b[');
    expect(tty.text()).toContain('\x1b[');
  });

  it('interpolates bucket quantiles as histogram_quantile does', () => {
    expect(bucketQuantile(0.5, [1, 2], [0, 10, 0])).toBe(1.5);
    expect(bucketQuantile(0.99, [1, 2], [0, 0, 5])).toBe(2);
    expect(bucketQuantile(0.5, [1], [0, 0])).toBeNaN();
  });
});

describe('export pipeline', () => {
  const recording = (fail: () => boolean, name = 'rec'): PushExporter & { got: ExportBatch[]; closed: boolean } => {
    const got: ExportBatch[] = [];
    const exporter = {
      name,
      got,
      closed: false,
      async export(batch: ExportBatch) {
        if (fail()) throw new Error('receiver down');
        got.push(batch);
        return 10;
      },
      async close() {
        exporter.closed = true;
      },
    };
    return exporter;
  };
  const worker = { maxQueue: 3, initialBackoffMs: 5, maxBackoffMs: 20, timeoutMs: 1000 };

  it('isolates a failing exporter, retries it, bounds its queue and counts drops; the healthy one gets everything', async () => {
    const metrics = createCore();
    const counter = metrics.counter('work_total', { help: 'w' });
    let down = true;
    const healthy = recording(() => false, 'healthy');
    const flaky = recording(() => down, 'flaky');
    const warnings: string[] = [];
    const pipeline = new ExportPipeline(
      () => metrics.registry.collect(),
      [
        { exporter: healthy, options: worker },
        { exporter: flaky, options: worker },
      ],
      metrics,
      {
        intervalMs: 3_600_000,
        warn: (m) => warnings.push(m),
      },
    );
    for (let i = 1; i <= 6; i++) {
      counter.inc();
      await pipeline.collectOnce();
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(healthy.got).toHaveLength(6);
    down = false;
    await pipeline.close();
    const last = flaky.got.at(-1)!.families.find((f) => f.name === 'work')!.series[0]!.value;
    expect(last).toBe(6); // the newest batch carried the totals
    expect(flaky.got.length).toBeLessThanOrEqual(4);
    expect([healthy.closed, flaky.closed]).toEqual([true, true]);
    const self = await metrics.registry.collect();
    const read = (name: string, exporter: string) =>
      self.find((f) => f.name === name)?.series.find((s) => s.labels.some(([, v]) => v === exporter))?.value;
    expect(read('omnimeter_exporter_dropped', 'flaky')).toBeGreaterThanOrEqual(3);
    expect(read('omnimeter_exporter_failures', 'flaky')).toBeGreaterThan(0);
    expect(read('omnimeter_exporter_exports', 'healthy')).toBe(7);
    expect(read('omnimeter_exporter_bytes', 'healthy')).toBe(70);
    expect(read('omnimeter_exporter_failures', 'healthy')).toBeUndefined();
    expect(warnings).toEqual([
      'omnimeter: exporter flaky failed (receiver down); retrying with backoff',
      'omnimeter: exporter flaky recovered',
    ]);
  });

  it('gives up on an unreachable receiver at close after the timeout, and counts the loss', async () => {
    const metrics = createCore();
    const dead = recording(() => true, 'dead');
    const pipeline = new ExportPipeline(() => metrics.registry.collect(), [{ exporter: dead, options: worker }], metrics, {
      intervalMs: 3_600_000,
      closeTimeoutMs: 50,
      warn: () => {},
    });
    await pipeline.close();
    const dropped = (await metrics.registry.collect()).find((f) => f.name === 'omnimeter_exporter_dropped')!.series[0]!.value;
    expect(dropped).toBe(1);
  });

  it('times out a hanging export and carries on', async () => {
    const metrics = createCore();
    let calls = 0;
    const hanging: PushExporter = { name: 'hang', export: () => (++calls === 1 ? new Promise(() => {}) : Promise.resolve()) };
    const pipeline = new ExportPipeline(
      () => metrics.registry.collect(),
      [{ exporter: hanging, options: { ...worker, timeoutMs: 20 } }],
      metrics,
      { intervalMs: 3_600_000, warn: () => {} },
    );
    await pipeline.flush();
    expect(calls).toBe(2);
    await pipeline.close();
  });
});

describe('Prometheus exporter from config', () => {
  it('serves text and <path>.json behind a bearer token, on 127.0.0.1 by default', async () => {
    const port = await freePort();
    const metrics = createMetrics({ exporters: [{ type: 'prometheus', port, auth: { bearerToken: 's3cret' } }] });
    await metrics.ready();
    metrics.counter('hits_total', { help: 'h' }).inc(3);
    const url = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer s3cret' } });
    expect(await ok.text()).toContain('hits_total 3');
    const json = await fetch(`${url}.json`, { headers: { authorization: 'Bearer s3cret' } });
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const snapshot = await json.json();
    expect(validate(snapshot)).toBe(true);
    await metrics.shutdown();
  });

  it('accepts basic auth', async () => {
    const port = await freePort();
    const metrics = createMetrics({ exporters: [{ type: 'prometheus', port, auth: { username: 'prom', password: 'p:w' } }] });
    await metrics.ready();
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: basic('prom', 'p:w') })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: basic('prom', 'nope') })).status).toBe(401);
    await metrics.shutdown();
  });

  it('reports a port that cannot be bound through ready()', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const warn = console.warn;
    console.warn = () => {};
    try {
      const metrics = createMetrics({ exporters: [{ type: 'prometheus', port }] });
      await expect(metrics.ready()).rejects.toThrow(/EADDRINUSE/);
      await metrics.shutdown();
    } finally {
      console.warn = warn;
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
