/** A collector with /ingest on a free loopback port, and helpers to push to it and scrape it. */
import { request } from 'node:http';
import { type NodeMetrics, createMetrics } from '../../src/node/index.js';
import { freePort } from '../support/ports.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP request with full control over the headers (fetch forbids Origin and Host). */
export function send(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Collector {
  metrics: NodeMetrics;
  base: string;
  push(source: string, snapshot: unknown, headers?: Record<string, string>): Promise<Answer>;
  scrape(format?: 'openmetrics' | 'prometheus'): Promise<string>;
  /** A sample's value in the 0.0.4 scrape, by its exact line prefix (name and labels). */
  sample(prefix: string): Promise<number | undefined>;
}

export async function collector(ingest: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<Collector> {
  const port = await freePort();
  const metrics = createMetrics({ exporters: [{ type: 'prometheus', port, ingest }], ...extra }, {});
  await metrics.ready();
  const base = `http://127.0.0.1:${port}`;
  const scrape = async (format: 'openmetrics' | 'prometheus' = 'prometheus') =>
    (await send(`${base}/metrics?format=${format}`, 'GET')).text;
  return {
    metrics,
    base,
    push: (source, snapshot, headers) =>
      send(
        `${base}/ingest?source=${encodeURIComponent(source)}`,
        'POST',
        typeof snapshot === 'string' ? snapshot : JSON.stringify(snapshot),
        headers,
      ),
    scrape,
    async sample(prefix) {
      const line = (await scrape()).split('\n').find((l) => l.startsWith(`${prefix} `));
      return line === undefined ? undefined : Number(line.slice(prefix.length + 1));
    },
  };
}

type Family = { name: string; type: string; help?: string; unit?: string; buckets?: number[]; series: Record<string, unknown>[] };

/** A snapshot as pushSnapshots sends it. */
export function snapshot(metrics: Family[], timeMs = Date.now()) {
  return {
    format: 'omnimeter-snapshot',
    version: 1,
    timestamp: new Date(timeMs).toISOString(),
    timeMs,
    metrics: metrics.map((m) => ({ help: '', unit: '', ...m })),
  };
}

export const counter = (name: string, series: { labels?: Record<string, string>; value: number }[]) => ({
  name,
  type: 'counter',
  series: series.map((s) => ({ labels: s.labels ?? {}, value: s.value })),
});
