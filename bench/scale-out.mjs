// Beyond one process (issue #17): remote-write encoding, cluster merge and
// native-histogram observe. `npm run bench` runs it through bench/run.mjs;
// alone: `node --expose-gc bench/scale-out.mjs` after `npm run build`.
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import promClient from 'prom-client';
import SnappyJS from 'snappyjs';
import { WorkerAggregator, aggregateThreads, createWorkerMetrics, workerMetrics } from '../dist/cluster/index.js';
import { encodeWriteRequest } from '../dist/exposition/remote-write.js';
import { snappyCompress } from '../dist/exposition/snappy.js';
import { createMetrics } from '../dist/index.js';
import { measure, measureAsync } from './harness.mjs';

const HERE = fileURLToPath(import.meta.url);
/** Series per bench worker thread in the end-to-end scrape (4 threads: 10k series in all). */
const THREAD_SERIES = 2_500;

/** `n` counter series of one family, two labels each, every series incremented once. */
function counters(metrics, name, n, from = 0) {
  const c = metrics.counter(name, { help: 'c', labelNames: ['route', 'shard'] });
  const bound = [];
  for (let i = from; i < from + n; i++) bound.push(c.labels({ route: `/api/v${i}`, shard: String(i & 7) }));
  for (const b of bound) b.inc();
  return bound;
}

// A bench worker thread: THREAD_SERIES counters, incremented before every flush it answers.
if (!isMainThread && workerData?.benchScaleOut) {
  const metrics = workerMetrics({ maxSeriesPerMetric: 1e6 });
  const bound = counters(metrics, 'cluster_bench_total', THREAD_SERIES, workerData.from);
  parentPort.on('message', () => {
    for (const b of bound) b.inc();
  });
} else if (process.argv[1] === HERE) {
  const rows = [];
  const { record, target } = standalone(rows);
  await benchScaleOut(record, target);
  for (const [group, name, v, unit] of rows) console.log(`${group} | ${name} | ${v.toFixed(unit === 'ns/op' ? 1 : 3)} ${unit}`);
  process.exit(0);
}

function standalone(rows) {
  return {
    record: (group, results, unit = 'ns/op') => {
      for (const [name, v] of Object.entries(results)) rows.push([group, name, v, unit]);
    },
    target: (name, measured, goal, met) => console.log(`target: ${name}: ${measured} (goal ${goal}) ${met ? 'met' : 'NOT met'}`),
  };
}

/** In-process workers talking to one aggregator; messages go through structuredClone as a thread's postMessage does. */
function inProcessCluster(workers, seriesPerWorker) {
  const primary = createMetrics({ maxSeriesPerMetric: 1e6 });
  const aggregator = new WorkerAggregator(primary, { timeoutMs: 10_000 });
  const recorders = [];
  for (let w = 0; w < workers; w++) {
    let toWorker;
    const connection = aggregator.connect((request) => {
      toWorker?.(structuredClone(request));
      return true;
    });
    const metrics = createWorkerMetrics(
      {
        post: (message) => connection.receive(structuredClone(message)),
        listen: (handler) => {
          toWorker = handler;
          return () => {};
        },
      },
      { worker: `w${w}`, maxSeriesPerMetric: 1e6 },
    );
    recorders.push(counters(metrics, 'merge_bench_total', seriesPerWorker));
  }
  return { primary, recorders };
}

/**
 * @param {(group: string, results: Record<string, number>, unit?: string) => void} record
 * @param {(name: string, measured: string, goal: string, met: boolean) => void} target
 */
export async function benchScaleOut(record, target) {
  const group = 'scale out (issue #17)';

  // Remote write: 10k counter series collected, as the exporter encodes them, against the text scrape of the same.
  {
    const m = createMetrics({ maxSeriesPerMetric: 1e6 });
    counters(m, 'rw_bench_total', 10_000);
    const families = await m.registry.collect();
    const r = await measureAsync({
      'remote write: WriteRequest protobuf of 10k series': () => encodeWriteRequest(families, Date.now()),
      'remote write: collect + WriteRequest + snappy of 10k series': async () =>
        snappyCompress(encodeWriteRequest(await m.registry.collect(), Date.now())),
      'collect + text exposition of the same 10k series (a scrape)': () => m.registry.expose('prometheus'),
    });
    record(group, r, 'ms');
    const body = encodeWriteRequest(families, Date.now());
    // snappyjs (the independent encoder the tests check ours against) on the same request body.
    const z = await measureAsync({
      'snappy block of that WriteRequest (omnimeter)': () => snappyCompress(body),
      'snappy block of that WriteRequest (snappyjs 0.7, reference)': () => SnappyJS.compress(body),
    });
    record(group, z, 'ms');
    const zipped = snappyCompress(body);
    record(group, { 'remote write: WriteRequest bytes per series': body.length / 10_000 }, 'B');
    record(group, { 'remote write: WriteRequest + snappy bytes per series': zipped.length / 10_000 }, 'B');
    const perSeries = (r['remote write: collect + WriteRequest + snappy of 10k series'] * 1e6) / 10_000;
    record(group, { 'remote write per series (collect + WriteRequest + snappy)': perSeries }, 'ns/op');
    target(
      'remote write collect + encode + snappy of 10k series, vs a text scrape of the same',
      `${(r['remote write: collect + WriteRequest + snappy of 10k series'] / r['collect + text exposition of the same 10k series (a scrape)']).toFixed(2)}x`,
      'reported (no goal)',
      true,
    );
  }

  // Cluster merge in one process: the primary merging 4 workers' deltas (2,500 series each) on every collection.
  {
    const cluster = inProcessCluster(4, 2_500);
    const single = createMetrics({ maxSeriesPerMetric: 1e6 });
    const alone = counters(single, 'merge_bench_total', 10_000);
    await cluster.primary.registry.collect(); // registrations travel once
    const r = await measureAsync({
      'cluster collect: 4 in-process workers x 2,500 changed series (merge)': async () => {
        for (const bound of cluster.recorders) for (const b of bound) b.inc();
        await cluster.primary.registry.collect();
      },
      'single process collect: 10k changed series': async () => {
        for (const b of alone) b.inc();
        await single.registry.collect();
      },
    });
    record(group, r, 'ms');
    const merged = r['cluster collect: 4 in-process workers x 2,500 changed series (merge)'];
    record(group, { 'cluster merge per changed series (worker flush + clone + merge + collect)': (merged * 1e6) / 10_000 }, 'ns/op');
  }

  // End to end: a scrape of the primary of 4 worker threads (10k series in all) against one process with the same series.
  {
    const primary = createMetrics({ maxSeriesPerMetric: 1e6 });
    const pool = aggregateThreads(primary, { timeoutMs: 10_000 });
    const threads = Array.from(
      { length: 4 },
      (_, i) => new Worker(HERE, { workerData: { benchScaleOut: true, from: i * THREAD_SERIES, OMNIMETER_WORKER: `t${i}` } }),
    );
    for (const t of threads) pool.add(t);
    await Promise.all(threads.map((t) => new Promise((resolve) => t.once('online', resolve))));
    const single = createMetrics({ maxSeriesPerMetric: 1e6 });
    const alone = counters(single, 'cluster_bench_total', 4 * THREAD_SERIES);
    // Until every thread's series are in, the first scrapes are not comparable.
    while (!(await primary.registry.expose()).includes(`/api/v${4 * THREAD_SERIES - 1}"`)) await new Promise((r) => setTimeout(r, 50));
    const r = await measureAsync({
      'scrape: primary of 4 worker threads, 10k series changed': async () => {
        for (const t of threads) t.postMessage('inc');
        await primary.registry.expose();
      },
      'scrape: one process, the same 10k series changed': async () => {
        for (const b of alone) b.inc();
        await single.registry.expose();
      },
    });
    record(group, r, 'ms');
    const cost = r['scrape: primary of 4 worker threads, 10k series changed'] / r['scrape: one process, the same 10k series changed'];
    target('cluster scrape (4 threads, 10k series) vs one process', `${cost.toFixed(2)}x`, 'reported (no goal)', true);
    pool.close();
    await Promise.all(threads.map((t) => t.terminate()));
  }

  // Native histogram observe: classic, native (schema 3), native alone, prom-client.
  {
    const VALUES = Float64Array.from({ length: 4096 }, (_, i) => Math.exp(-3 + 1.2 * Math.sin(i * 12.9898) * 2));
    const classic = createMetrics().histogram('nh_classic_seconds', { help: 'h' }).labels({});
    const native = createMetrics().histogram('nh_native_seconds', { help: 'h', native: true }).labels({});
    const registry = new promClient.Registry();
    const ph = new promClient.Histogram({ name: 'nh_prom_seconds', help: 'h', registers: [registry] });
    const r = measure({
      'histogram observe, classic (11 buckets)': (n) => {
        for (let i = 0; i < n; i++) classic.observe(VALUES[i & 4095]);
      },
      'histogram observe, native (schema 3) + classic': (n) => {
        for (let i = 0; i < n; i++) native.observe(VALUES[i & 4095]);
      },
      'prom-client histogram observe (11 buckets)': (n) => {
        for (let i = 0; i < n; i++) ph.observe(VALUES[i & 4095]);
      },
    });
    record(group, r);
    const vsClassic = r['histogram observe, native (schema 3) + classic'] / r['histogram observe, classic (11 buckets)'];
    const vsProm = r['prom-client histogram observe (11 buckets)'] / r['histogram observe, native (schema 3) + classic'];
    target('native histogram `observe` (with classic) vs classic alone', `${vsClassic.toFixed(2)}x`, 'reported (no goal)', true);
    target('native histogram `observe` speed-up over prom-client (classic)', `${vsProm.toFixed(2)}x`, '>= 1x', vsProm >= 1);
  }
}
