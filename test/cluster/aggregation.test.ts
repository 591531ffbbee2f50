/**
 * 4 node:cluster workers and 4 worker_threads record known workloads; the
 * primary's exposition must equal the sum of the parts (counters, histogram
 * buckets, sums and counts exactly), summaries must be within the sketch's
 * relative error of the exact quantiles of the combined data, and the strict
 * OpenMetrics parser and a real Prometheus must accept it. Then the faults:
 * a hung worker (reported, the others answer, its late batch merged next
 * time), a killed one (reported, totals kept, gauges dropped), and a restart
 * under the same identity (totals carried on, nothing counted twice).
 */
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker as ThreadWorker } from 'node:worker_threads';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Aggregation, PARTIAL_HEADER, aggregateCluster, aggregateThreads } from '../../src/cluster/index.js';
import { CHANNEL } from '../../src/cluster/protocol.js';
import { RELATIVE_ERROR, createMetrics } from '../../src/index.js';
import type { Metrics } from '../../src/index.js';
import { serveMetrics } from '../../src/node/index.js';
import { startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';
import { type ParsedFamily, parseStrict } from '../support/validators.js';
import { BUCKETS, QUANTILES, workload } from './fixtures/workload.js';

const WORKERS = 4;
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omnimeter-cluster-'));
  bundle = join(dir, 'worker.mjs');
  await build({
    entryPoints: [new URL('./fixtures/worker.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'silent',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pool of workers of one kind, as the test drives it. */
interface Pool {
  start(index: number): Promise<void>;
  /** An application message to worker `index`. */
  send(index: number, message: unknown): void;
  kill(index: number): Promise<void>;
  stopAll(): Promise<void>;
}

/** Resolves when the worker announced itself (its workload is recorded by then: same turn). */
const hello = (on: (listener: (m: unknown) => void) => void) =>
  new Promise<void>((resolve) => on((m) => (m as Record<string, unknown>)?.[CHANNEL] === 'hello' && resolve()));

function clusterPool(): Pool {
  cluster.setupPrimary({ exec: bundle, silent: false });
  const workers = new Map<number, ClusterWorker>();
  const kill = (i: number) =>
    new Promise<void>((resolve) => {
      const w = workers.get(i)!;
      w.once('exit', () => resolve());
      w.process.kill('SIGKILL');
      workers.delete(i);
    });
  return {
    async start(i) {
      const w = cluster.fork({ WORKLOAD_INDEX: String(i), OMNIMETER_WORKER: `w${i}` });
      workers.set(i, w);
      await hello((l) => w.on('message', l));
    },
    send: (i, m) => workers.get(i)!.send(m as never),
    kill,
    stopAll: async () => {
      await Promise.all([...workers.keys()].map(kill));
    },
  };
}

function threadPool(add: (w: ThreadWorker) => void): Pool {
  const workers = new Map<number, ThreadWorker>();
  const kill = async (i: number) => {
    const w = workers.get(i)!;
    workers.delete(i);
    const exited = new Promise((r) => w.once('exit', r));
    await w.terminate();
    await exited;
  };
  return {
    async start(i) {
      const w = new ThreadWorker(bundle, { workerData: { index: i, OMNIMETER_WORKER: `w${i}` } });
      workers.set(i, w);
      add(w);
      await hello((l) => w.on('message', l));
    },
    send: (i, m) => workers.get(i)!.postMessage(m),
    kill,
    stopAll: async () => {
      await Promise.all([...workers.keys()].map(kill));
    },
  };
}

const value = (families: ParsedFamily[], family: string, sample: string, labels: Record<string, string> = {}) => {
  const f = families.find((x) => x.name === family);
  const s = f?.samples.find((x) => x.name === sample && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
};

/** Nearest rank below q·(n−1), the sketch's own definition of the q-quantile. */
const exactQuantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

function checkSumOfParts(families: ParsedFamily[], workers: number[]) {
  const parts = workers.map(workload);
  for (const kind of ['a', 'b', ...workers.map((i) => `only-${i}`)]) {
    const expected = parts.flatMap((p) => p.jobs.filter((j) => j.kind === kind)).reduce((s, j) => s + j.n, 0);
    expect(value(families, 'jobs', 'jobs_total', { kind }), kind).toBe(expected);
  }
  const latencies = parts.flatMap((p) => p.latencies);
  const buckets = families.find((f) => f.name === 'latency_seconds')!.samples.filter((s) => s.name === 'latency_seconds_bucket');
  expect(buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)))).toEqual([...BUCKETS, Infinity]); // "1.0", "+Inf": canonical OpenMetrics
  for (const b of buckets) {
    const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
    expect(b.value, `le=${le}`).toBe(latencies.filter((v) => v <= le).length);
  }
  expect(value(families, 'latency_seconds', 'latency_seconds_count')).toBe(latencies.length);
  expect(value(families, 'latency_seconds', 'latency_seconds_sum')).toBe(latencies.reduce((s, v) => s + v, 0));
  const sizes = parts.flatMap((p) => p.sizes).sort((x, y) => x - y);
  expect(value(families, 'size_bytes', 'size_bytes_count')).toBe(sizes.length);
  expect(value(families, 'size_bytes', 'size_bytes_sum')).toBe(sizes.reduce((s, v) => s + v, 0));
  for (const q of QUANTILES) {
    const merged = value(families, 'size_bytes', 'size_bytes', { quantile: String(q) })!;
    const exact = exactQuantile(sizes, q);
    expect(Math.abs(merged - exact), `q=${q}: ${merged} vs exact ${exact}`).toBeLessThanOrEqual(exact * RELATIVE_ERROR);
  }
}

async function scrape(metrics: Metrics): Promise<ParsedFamily[]> {
  return parseStrict(await metrics.registry.expose('openmetrics'));
}

function scenario(kind: 'cluster' | 'threads') {
  let metrics: Metrics;
  let aggregation: Aggregation;
  let pool: Pool;

  beforeAll(async () => {
    metrics = createMetrics();
    const options = { gaugePolicies: { temperature_celsius: 'max', inflight: 'worker' } as const, timeoutMs: 1500 };
    if (kind === 'cluster') {
      aggregation = aggregateCluster(metrics, options);
      pool = clusterPool();
    } else {
      const threads = aggregateThreads(metrics, options);
      aggregation = threads;
      pool = threadPool((w) => threads.add(w));
    }
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => pool.start(i)));
  });
  afterAll(async () => {
    await pool?.stopAll();
    aggregation?.close();
    await metrics?.shutdown();
  });

  it('merges 4 workers exactly: counters, histogram buckets and sums are the sum of the parts, quantiles within the sketch bound', async () => {
    const families = await scrape(metrics);
    checkSumOfParts(families, [0, 1, 2, 3]);
    expect(value(families, 'queue_depth', 'queue_depth')).toBe(1 + 2 + 3 + 4); // sum
    expect(value(families, 'temperature_celsius', 'temperature_celsius')).toBe(55); // max
    for (let i = 0; i < WORKERS; i++) {
      expect(value(families, 'inflight', 'inflight', { worker: `w${i}` })).toBe(i); // a series per worker
      expect(value(families, 'omnimeter_cluster_worker_up', 'omnimeter_cluster_worker_up', { worker: `w${i}` })).toBe(1);
    }
    expect(value(families, 'omnimeter_cluster_workers_missing', 'omnimeter_cluster_workers_missing')).toBe(0);
    expect(aggregation.partial()).toEqual([]);
    // Scraping again adds nothing: deltas are sent once.
    checkSumOfParts(await scrape(metrics), [0, 1, 2, 3]);
  });

  it('reports a hung worker and answers with the others; its late batch is merged at the next collection', async () => {
    pool.send(1, { more: 7 });
    pool.send(1, { hang: 3000 });
    const families = await scrape(metrics);
    expect(aggregation.partial()).toEqual(['w1']);
    expect(value(families, 'omnimeter_cluster_workers_missing', 'omnimeter_cluster_workers_missing')).toBe(1);
    expect(value(families, 'omnimeter_cluster_worker_up', 'omnimeter_cluster_worker_up', { worker: 'w1' })).toBe(0);
    expect(value(families, 'omnimeter_cluster_worker_up', 'omnimeter_cluster_worker_up', { worker: 'w0' })).toBe(1);
    expect(value(families, 'omnimeter_cluster_flush_timeouts', 'omnimeter_cluster_flush_timeouts_total', { worker: 'w1' })).toBe(1);
    expect(value(families, 'jobs', 'jobs_total', { kind: 'a' })).toBe(100); // the +7 is still in the hung worker
    await new Promise((r) => setTimeout(r, 2500)); // the hang ends; the worker answers the old request
    const after = await scrape(metrics);
    expect(aggregation.partial()).toEqual([]);
    expect(value(after, 'jobs', 'jobs_total', { kind: 'a' })).toBe(107);
    expect(value(after, 'omnimeter_cluster_worker_up', 'omnimeter_cluster_worker_up', { worker: 'w1' })).toBe(1);
  });

  it('flags a partial collection in the scrape response: X-Omnimeter-Partial names the missing worker, absent once complete', async () => {
    const server = await serveMetrics(metrics.registry, { port: 0 });
    try {
      const url = `http://127.0.0.1:${server.port}/metrics`;
      pool.send(2, { hang: 2500 });
      const partial = await fetch(url);
      expect(partial.status).toBe(200);
      expect(partial.headers.get(PARTIAL_HEADER)).toBe('missing=1; workers=w2');
      const body = await partial.text();
      expect(body).toContain('omnimeter_cluster_workers_missing 1');
      expect(body).toContain('jobs_total{kind="only-2"} 3'); // the others still answer; w2's earlier totals stay
      await new Promise((r) => setTimeout(r, 1500)); // the hang ends
      const complete = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      expect(complete.headers.get(PARTIAL_HEADER)).toBeNull();
      expect(await complete.text()).toContain('omnimeter_cluster_workers_missing 0');
    } finally {
      await server.close();
    }
  });

  it('reports a dead worker, keeps its totals, drops its gauges; a restart under the same identity carries on without double counting', async () => {
    await pool.kill(3);
    const families = await scrape(metrics);
    expect(value(families, 'omnimeter_cluster_worker_up', 'omnimeter_cluster_worker_up', { worker: 'w3' })).toBe(0);
    expect(value(families, 'omnimeter_cluster_worker_exits', 'omnimeter_cluster_worker_exits_total', { worker: 'w3' })).toBe(1);
    expect(value(families, 'jobs', 'jobs_total', { kind: 'a' })).toBe(107);
    expect(value(families, 'jobs', 'jobs_total', { kind: 'only-3' })).toBe(3);
    expect(value(families, 'queue_depth', 'queue_depth')).toBe(1 + 2 + 3);
    expect(value(families, 'temperature_celsius', 'temperature_celsius')).toBe(50);
    expect(value(families, 'inflight', 'inflight', { worker: 'w3' })).toBeUndefined();

    await pool.start(3); // records workload(3) again, from zero
    const restarted = await scrape(metrics);
    expect(value(restarted, 'jobs', 'jobs_total', { kind: 'a' })).toBe(107 + 40);
    expect(value(restarted, 'jobs', 'jobs_total', { kind: 'b' })).toBe(10 + 4);
    expect(value(restarted, 'jobs', 'jobs_total', { kind: 'only-3' })).toBe(6);
    expect(value(restarted, 'queue_depth', 'queue_depth')).toBe(10);
    expect(value(restarted, 'temperature_celsius', 'temperature_celsius')).toBe(55);
    expect(value(restarted, 'omnimeter_cluster_worker_up', 'omnimeter_cluster_worker_up', { worker: 'w3' })).toBe(1);
    const sizes = [0, 1, 2, 3, 3].flatMap((i) => workload(i).sizes);
    expect(value(restarted, 'size_bytes', 'size_bytes_count')).toBe(sizes.length);
  });

  describeWithTools(['prometheus'], 'a real Prometheus', () => {
    it('scrapes the merged exposition and answers PromQL over it', async () => {
      const server = await serveMetrics(metrics.registry, { port: 0 });
      const prometheus = await startPrometheus([{ job: kind, port: server.port }]);
      try {
        const [a] = await prometheus.query('jobs_total{kind="a"}');
        expect(Number(a!.value[1])).toBe(147);
        const [count] = await prometheus.query('latency_seconds_count');
        expect(Number(count!.value[1])).toBe([0, 1, 2, 3, 3].reduce((s, i) => s + workload(i).latencies.length, 0));
        const [up] = await prometheus.query(`sum(omnimeter_cluster_worker_up{job="${kind}"})`);
        expect(Number(up!.value[1])).toBe(WORKERS);
      } finally {
        await prometheus.stop();
        await server.close();
      }
    });
  });
}

describe('node:cluster: 4 workers merged by the primary', () => scenario('cluster'));
describe('worker_threads: 4 threads merged by their owner', () => scenario('threads'));
