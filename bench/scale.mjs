// Scale benchmarks (issue 12): memory per series from heap deltas after GC,
// and large scrapes (duration, longest event-loop stall, peak RSS), omnimeter
// side by side with prom-client and the OpenTelemetry SDK with a reader.
// Run alone: `node --expose-gc bench/scale.mjs [--1m]`; `npm run bench` runs
// it through run.mjs (1M series only with --1m: it takes a minute).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import promClient from 'prom-client';
import { createMetrics } from '../dist/index.js';
import { metricsHandler } from '../dist/node/request-handler.js';

const gzipAsync = promisify(gzip);
const run = promisify(execFile);

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

function gc() {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) globalThis.gc();
}

/** Two-label sets, strings built up front so their cost is nobody's. */
function labelSets(n) {
  const sets = new Array(n);
  for (let i = 0; i < n; i++) sets[i] = { route: `/r/${i % 1000}`, id: `u${Math.floor(i / 1000)}` };
  return sets;
}

const record = {
  counter: (m, l) => m.inc(l, 1),
  gauge: (m, l) => m.set(l, 3),
  histogram: (m, l) => m.observe(l, 0.3),
  summary: (m, l) => m.observe(l, 0.3),
};
const recordProm = {
  counter: (m, l) => m.inc(l, 1),
  gauge: (m, l) => m.set(l, 3),
  histogram: (m, l) => m.observe(l, 0.3),
  summary: (m, l) => m.observe(l, 0.3),
};

/** The three peers, each: make(type) → instrument, rec(instrument, labels), scrape() → body length. */
export const peers = {
  omnimeter() {
    const om = createMetrics({ maxSeriesPerMetric: 2_000_000 });
    return {
      make: (type) => om[type](`m_${type}`, { help: 'h', labelNames: ['route', 'id'], buckets: BUCKETS }),
      rec: (type, m, l) => record[type](m, l),
      scrape: async () => (await om.registry.expose('prometheus')).length,
      // The endpoint as serve() and handler() answer it: streamed, gzipped piece by piece.
      handler: () => metricsHandler(om.registry),
      close: () => om.shutdown(),
    };
  },
  'prom-client'() {
    const registry = new promClient.Registry();
    const types = { counter: promClient.Counter, gauge: promClient.Gauge, histogram: promClient.Histogram, summary: promClient.Summary };
    return {
      make: (type) =>
        new types[type]({ name: `p_${type}`, help: 'h', labelNames: ['route', 'id'], buckets: BUCKETS, registers: [registry] }),
      rec: (type, m, l) => recordProm[type](m, l),
      scrape: async () => (await registry.metrics()).length,
      // prom-client's documented endpoint, gzipped off the event loop like omnimeter's.
      handler: () => async (req, res) => {
        const body = await gzipAsync(await registry.metrics());
        res.writeHead(200, { 'content-type': registry.contentType, 'content-encoding': 'gzip', 'content-length': body.length });
        res.end(body);
      },
      close: () => {},
    };
  },
  'OTel SDK'() {
    // The SDK's default keeps 2,000 attribute sets per instrument: raise it to hold them all.
    const reader = new PullReader({ cardinalitySelector: () => 2_000_000 });
    const meter = new MeterProvider({ readers: [reader] }).getMeter('scale');
    const make = {
      counter: () => meter.createCounter('o_counter'),
      gauge: () => meter.createGauge('o_gauge'),
      histogram: () => meter.createHistogram('o_histogram', { advice: { explicitBucketBoundaries: BUCKETS } }),
    };
    return {
      make: (type) => make[type]?.(),
      rec: (type, m, l) => (type === 'counter' ? m.add(1, l) : type === 'gauge' ? m.record(3, l) : m.record(0.3, l)),
      scrape: async () => (await reader.collect()).resourceMetrics.scopeMetrics.length,
      close: () => {},
    };
  },
};

/**
 * Memory a series holds: the JS heap plus ArrayBuffer backing stores, which live outside the heap
 * (typed-array columns and indexes would otherwise not be counted).
 */
function heldBytes() {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Bytes per series: the delta after GC of n series of `type` over an empty instance. */
export function bytesPerSeries(peer, type, sets) {
  gc();
  const before = heldBytes();
  const p = peers[peer]();
  const m = p.make(type);
  if (!m) return undefined;
  for (let i = 0; i < sets.length; i++) p.rec(type, m, sets[i]);
  gc();
  const after = heldBytes();
  const perSeries = (after - before) / sets.length;
  return { perSeries, p, m, before };
}

/** Bytes per series once the instance has been scraped (caches built at exposition count too). */
export async function bytesPerSeriesScraped(r, n) {
  await r.p.scrape();
  gc();
  return (heldBytes() - r.before) / n;
}

// The main thread's own CPU time (Linux): what blocked the event loop, without
// zlib's thread pool or GC helper threads. The kernel updates it at scheduler
// ticks and switches, so a reading can be late by one tick (4 ms at HZ=250).
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const mainThreadMs = existsSync(schedstat) ? () => Number(readFileSync(schedstat, 'utf8').split(' ')[0]) / 1e6 : () => Number.NaN;

/**
 * A GET of the peer's endpoint with Accept-Encoding: gzip by curl in another
 * process (a client in this process would add its own work to the loop).
 * The server and the child are started before the measurement (spawning is
 * synchronous work of its own); curl waits 300 ms, and the scrape's duration
 * is the server's, from the request's arrival to the response's end.
 * `run()` resolves with { bytes: compressed bytes received, ms }.
 */
async function httpScrape(handler) {
  let arrived = 0;
  let finished = 0;
  const server = createServer((req, res) => {
    arrived = performance.now();
    res.on('finish', () => (finished = performance.now()));
    handler(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/metrics`;
  const curl = `sleep 0.3; exec curl -sf -H 'accept-encoding: gzip' -o /dev/null -w '%{size_download}' ${url}`;
  const child = run('sh', ['-c', curl]);
  return {
    run: async () => {
      try {
        const { stdout } = await child;
        return { bytes: Number(stdout), ms: finished - arrived };
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}

/**
 * The stall measurement's floor at the machine's current load: turns of
 * 2 ms of work each, measured like a scrape. A scrape's stall is only
 * meaningful next to this number.
 */
export async function stallFloor() {
  let turns = 0;
  return scrapeStats(
    () =>
      new Promise((resolve) => {
        const turn = () => {
          const start = performance.now();
          while (performance.now() - start < 2);
          if (++turns < 200) setImmediate(turn);
          else resolve(0);
        };
        setImmediate(turn);
      }),
  );
}

/** One scrape (`scrape()` → bytes) of a populated instance: duration, longest event-loop stall, peak RSS. */
export async function scrapeStats(scrape) {
  gc();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 5);
  const rssBefore = process.memoryUsage.rss();
  // The longest gap between ticks of a 1 ms timer: what a request arriving
  // during the scrape could wait (monitorEventLoopDelay misses a loop that
  // never turns until the scrape is over).
  // On a shared machine the wall-clock gap includes time the process was not
  // scheduled, so the CPU time the process used between two ticks is reported
  // too: the work that blocked the loop, whatever the load.
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let lastMain = mainThreadMs();
  // Linux updates a running thread's CPU time at scheduler ticks (4 ms at
  // HZ=250), so a gap's main-thread reading can be up to a tick too long:
  // 1.2 ms of work read as 4.0. The main thread cannot have run longer than
  // the gap lasted, so the reading is capped by the wall clock (`blocked`).
  let maxGap = 0;
  let maxCpuGap = 0;
  let maxMainGap = 0;
  let maxBlocked = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const main = mainThreadMs();
    maxGap = Math.max(maxGap, t - last);
    maxCpuGap = Math.max(maxCpuGap, (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000);
    maxMainGap = Math.max(maxMainGap, main - lastMain);
    maxBlocked = Math.max(maxBlocked, Math.min(main - lastMain, t - last));
    last = t;
    lastCpu = cpu;
    lastMain = main;
  }, 1);
  loop.enable();
  const start = performance.now();
  const out = await scrape();
  const bytes = typeof out === 'object' ? out.bytes : out;
  const ms = typeof out === 'object' ? out.ms : performance.now() - start;
  // A stall is only sampled when the loop's timer runs again: let it.
  await new Promise((resolve) => setTimeout(resolve, 5));
  loop.disable();
  clearInterval(sampler);
  clearInterval(ticker);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return {
    ms,
    maxStallMs: maxGap,
    maxCpuStallMs: maxCpuGap,
    maxMainThreadStallMs: maxMainGap,
    maxBlockedMs: maxBlocked,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
    loopDelayMaxMs: loop.max / 1e6,
    bytes,
    rssGrowthMB: (peakRss - rssBefore) / 2 ** 20,
  };
}

/** Scrapes measured per peer and kind: one scrape's duration swung 2x between whole bench runs. */
const SCRAPES = 5;

/**
 * `SCRAPES` scrapes, each made by `next()` (a promise of the scrape function):
 * the median duration, the longest of each stall, the largest RSS growth.
 */
export async function repeatedStats(next, times = SCRAPES) {
  const all = [];
  for (let i = 0; i < times; i++) all.push(await scrapeStats(await next()));
  const most = (key) => Math.max(...all.map((s) => s[key]));
  const ms = all.map((s) => s.ms).sort((a, b) => a - b)[Math.floor(times / 2)];
  const out = { ...all[0], ms, msAll: all.map((s) => s.ms), loopDelayMaxMs: most('loopDelayMaxMs') };
  for (const key of ['maxStallMs', 'maxCpuStallMs', 'maxMainThreadStallMs', 'maxBlockedMs', 'rssGrowthMB']) out[key] = most(key);
  return out;
}

/**
 * One peer, one type, one size. A function of its own so the instance dies
 * with its frame: a suspended async loop keeps dead locals alive, which
 * charged one peer's memory to the next one's baseline.
 */
/**
 * Runs a peer's code for `type` once on throwaway series (and a scrape), so the measurement that follows counts
 * memory per series, not the bytecode and machine code a library compiles on first use (which would land on
 * whichever peer and type happen to be measured first in the process).
 */
async function warmUp(peer, type) {
  const p = peers[peer]();
  const m = p.make(type);
  if (m) for (let i = 0; i < 5000; i++) p.rec(type, m, { route: `/warm/${i % 50}`, id: `w${i}` });
  if (m) await p.scrape();
  await p.close();
}

async function measurePeer(peer, type, n, sets, rows, results, log) {
  await warmUp(peer, type);
  await settle();
  const r = bytesPerSeries(peer, type, sets);
  if (!r) return;
  results[`${peer} ${type} ${n}`] = r.perSeries;
  rows.push([`memory per series (${n.toLocaleString('en')} two-label series)`, `${peer} ${type}`, r.perSeries, 'B']);
  const scraped = peer === 'OTel SDK' ? undefined : await bytesPerSeriesScraped(r, n);
  if (scraped !== undefined) {
    results[`${peer} ${type} ${n} scraped`] = scraped;
    rows.push([`memory per series (${n.toLocaleString('en')} two-label series)`, `${peer} ${type}, after a scrape`, scraped, 'B']);
  }
  log(`${peer} ${type} ${n}: ${r.perSeries.toFixed(0)} B/series, ${scraped?.toFixed(0) ?? '-'} after a scrape`);
  if (n === 100_000 && type === 'counter' && peer !== 'OTel SDK') {
    await r.p.scrape(); // warm up
    const s = await repeatedStats(async () => r.p.scrape);
    results[`${peer} scrape`] = s;
    stallRows(rows, `scrape of 100,000 counter series (Prometheus text), ${SCRAPES} scrapes`, peer, s);
    log(`${peer} expose() 100k: ${describeStats(s)} chars`);
    // The process's first streamed scrape runs the handler's code cold (compiled as it goes): reported apart.
    const handler = r.p.handler();
    const cold = await scrapeStats((await httpScrape(handler)).run);
    results[`${peer} first http scrape`] = cold;
    stallRows(rows, "HTTP scrape of 100,000 counter series, gzip: the process's first", peer, cold);
    log(`${peer} HTTP+gzip 100k, first: ${describeStats(cold)} B gzipped`);
    const h = await repeatedStats(async () => (await httpScrape(handler)).run);
    results[`${peer} http scrape`] = h;
    stallRows(rows, `HTTP scrape of 100,000 counter series, gzip (curl in another process), ${SCRAPES} scrapes`, peer, h);
    log(`${peer} HTTP+gzip 100k: ${describeStats(h)} B gzipped`);
  }
  await r.p.close();
}

function stallRows(rows, group, peer, s) {
  rows.push([group, `${peer}: duration${s.msAll ? ' (median)' : ''}`, s.ms, 'ms']);
  rows.push([group, `${peer}: longest event-loop stall (wall clock)`, s.maxStallMs, 'ms']);
  rows.push([group, `${peer}: longest event-loop stall (process CPU time)`, s.maxCpuStallMs, 'ms']);
  rows.push([group, `${peer}: longest event-loop stall (main-thread CPU time)`, s.maxMainThreadStallMs, 'ms']);
  rows.push([group, `${peer}: longest event-loop stall (main-thread CPU time, at most the wall clock)`, s.maxBlockedMs, 'ms']);
  rows.push([group, `${peer}: RSS growth during the scrape`, s.rssGrowthMB, 'MiB']);
}

function describeStats(s) {
  const each = s.msAll ? ` (${s.msAll.map((ms) => ms.toFixed(0)).join(', ')})` : '';
  return `${s.ms.toFixed(0)} ms${each}, max stall ${s.maxStallMs.toFixed(1)} ms wall, ${s.maxCpuStallMs.toFixed(1)} ms process CPU, ${s.maxMainThreadStallMs.toFixed(1)} ms main-thread CPU, ${s.maxBlockedMs.toFixed(1)} capped by wall (loop delay max ${s.loopDelayMaxMs.toFixed(1)}), RSS +${s.rssGrowthMB.toFixed(0)} MiB, load ${s.load}, ${s.bytes}`;
}

/**
 * Lets what the previous peer released go before a baseline is taken: a closed
 * MeterProvider or server drops its last references in later turns, and
 * ArrayBuffer stores are freed after the GC that finds them dead. Without
 * this, the previous instance was freed during the next measurement and a
 * gauge came out at -148 B/series.
 */
async function settle() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Rows for run.mjs: [group, case, value, unit]. */
export async function scaleBench({ million = false, only, log = () => {} } = {}) {
  const rows = [];
  const results = {};
  const floor = await stallFloor();
  results['stall floor'] = floor;
  stallRows(rows, 'stall measurement floor: 2 ms turns of work, measured like a scrape', 'idle loop', floor);
  log(`stall floor (2 ms turns): ${describeStats(floor)}`);
  for (const n of [20_000, 100_000]) {
    const sets = labelSets(n);
    for (const type of ['counter', 'gauge', 'histogram', 'summary']) {
      if (n === 100_000 && type !== 'counter' && type !== 'histogram') continue;
      if (only && !only.includes(type)) continue;
      for (const peer of Object.keys(peers)) await measurePeer(peer, type, n, sets, rows, results, log);
    }
  }
  if (million) {
    const sets = labelSets(1_000_000);
    const r = bytesPerSeries('omnimeter', 'counter', sets);
    results['omnimeter counter 1000000'] = r.perSeries;
    rows.push(['1,000,000 counter series', 'omnimeter: memory per series', r.perSeries, 'B']);
    log(`omnimeter 1M: ${r.perSeries.toFixed(0)} B/series`);
    await r.p.scrape();
    const s = await scrapeStats(r.p.scrape);
    stallRows(rows, '1,000,000 counter series, expose() (whole text)', 'omnimeter', s);
    log(`omnimeter 1M expose(): ${describeStats(s)} chars`);
    const h = await scrapeStats((await httpScrape(r.p.handler())).run);
    stallRows(rows, '1,000,000 counter series, HTTP scrape with gzip (streamed)', 'omnimeter', h);
    log(`omnimeter 1M HTTP+gzip: ${describeStats(h)} B gzipped`);
    await r.p.close();
  }
  return { rows, results };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',');
  await scaleBench({ million: process.argv.includes('--1m'), only, log: console.log });
  process.exit(0);
}
