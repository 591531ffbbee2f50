// `npm run bench`: omnimeter against prom-client, the OpenTelemetry SDK and
// the raw floor, side by side in one process. `-- --write` also updates the
// table in docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import hdr from 'hdr-histogram-js';
import promClient from 'prom-client';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '../dist/index.js';
import { createMetrics as createNodeMetrics } from '../dist/node/index.js';
import { activeSpanContext, createMeterProvider } from '../dist/otel/index.js';
import { encodeProtobufExposition } from '../dist/exposition/prometheus-protobuf.js';
import { logNormalValues, measure, measureAsync, measureRounds, medians, pairedRatio } from './harness.mjs';

const WRITE = process.argv.includes('--write');
const rows = []; // [group, case, ns/op or ms, unit]
const targets = []; // [target, measured, goal, met]

function record(group, results, unit = 'ns/op') {
  for (const [name, v] of Object.entries(results)) rows.push([group, name, v, unit]);
}
function target(name, measured, goal, met) {
  targets.push([name, measured, goal, met ? 'yes' : '**no**']);
}
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

// --- peers -----------------------------------------------------------------
class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const otelReader = new PullReader();
const meter = new MeterProvider({ readers: [otelReader] }).getMeter('bench');
const promRegistry = new promClient.Registry();
const prom = (Type, config) => new Type({ ...config, registers: [promRegistry] });

const om = createMetrics();
const disabled = createMetrics({ enabled: false });
const LABELS = ['search', 'fetch', 'write', 'read'].flatMap((tool) => ['ok', 'error'].map((status) => ({ tool_name: tool, status })));

// --- counters --------------------------------------------------------------
{
  const floor = new Float64Array(1);
  const omBound = om.counter('bound_total', { help: 'b', labelNames: ['tool_name', 'status'] }).labels(LABELS[0]);
  const omPlain = om.counter('plain_total', { help: 'p' });
  const promPlain = prom(promClient.Counter, { name: 'p_plain', help: 'p' });
  const promBound = prom(promClient.Counter, { name: 'p_bound', help: 'b', labelNames: ['tool_name', 'status'] }).labels(LABELS[0]);
  const otelPlain = meter.createCounter('o_plain');
  const empty = () => {};
  const disabledCounter = disabled.counter('d_total', { help: 'd' });
  const r = measure({
    'raw Float64Array increment (floor)': (n) => {
      for (let i = 0; i < n; i++) floor[0] += 1;
    },
    'empty function call': (n) => {
      for (let i = 0; i < n; i++) empty();
    },
    'omnimeter bound counter inc()': (n) => {
      for (let i = 0; i < n; i++) omBound.inc();
    },
    'omnimeter unlabelled counter inc()': (n) => {
      for (let i = 0; i < n; i++) omPlain.inc();
    },
    'omnimeter disabled counter inc()': (n) => {
      for (let i = 0; i < n; i++) disabledCounter.inc();
    },
    'prom-client unlabelled inc()': (n) => {
      for (let i = 0; i < n; i++) promPlain.inc();
    },
    'prom-client bound child inc()': (n) => {
      for (let i = 0; i < n; i++) promBound.inc();
    },
    'OTel SDK counter.add(1)': (n) => {
      for (let i = 0; i < n; i++) otelPlain.add(1);
    },
  });
  record('counter, no label lookup', r);
  const bound = r['omnimeter bound counter inc()'];
  // Both sit on the floor (a dependent FP add); rounds vary by a few percent, so a tie within 5% counts as "no slower".
  target(
    'bound `inc()` vs prom-client unlabelled `inc()`',
    ratio(bound, r['prom-client unlabelled inc()']),
    '<= 1x (5% noise band)',
    bound <= 1.05 * r['prom-client unlabelled inc()'],
  );
  target(
    'bound `inc()` vs raw floor',
    ratio(bound, r['raw Float64Array increment (floor)']),
    '<= 3x',
    bound <= 3 * r['raw Float64Array increment (floor)'],
  );
  const off = r['omnimeter disabled counter inc()'];
  target('disabled `inc()` vs empty function call', ratio(off, r['empty function call']), '<= 1.5x', off <= 1.5 * r['empty function call']);
}

// --- labelled counters -----------------------------------------------------
{
  const omc = om.counter('labelled_total', { help: 'l', labelNames: ['tool_name', 'status'] });
  const pc = prom(promClient.Counter, { name: 'p_labelled', help: 'l', labelNames: ['tool_name', 'status'] });
  const oc = meter.createCounter('o_labelled');
  const r = measure({
    'omnimeter inc(labels), 2 labels': (n) => {
      for (let i = 0; i < n; i++) omc.inc(LABELS[i & 7]);
    },
    'omnimeter inc(fresh literal), 2 labels': (n) => {
      for (let i = 0; i < n; i++) omc.inc({ tool_name: LABELS[i & 7].tool_name, status: LABELS[i & 7].status });
    },
    'prom-client inc(labels), 2 labels': (n) => {
      for (let i = 0; i < n; i++) pc.inc(LABELS[i & 7]);
    },
    'OTel SDK add(1, attrs), 2 attributes': (n) => {
      for (let i = 0; i < n; i++) oc.add(1, LABELS[i & 7]);
    },
  });
  record('counter with labels (8 label sets)', r);
  const ours = r['omnimeter inc(labels), 2 labels'];
  // Issue 12's goal (issue 1 asked 5x).
  target(
    '`inc(labels)` speed-up over prom-client',
    ratio(r['prom-client inc(labels), 2 labels'], ours),
    '>= 10x',
    r['prom-client inc(labels), 2 labels'] >= 10 * ours,
  );
  target(
    '`inc(labels)` speed-up over OTel `add(1, attrs)`',
    ratio(r['OTel SDK add(1, attrs), 2 attributes'], ours),
    '>= 2x',
    r['OTel SDK add(1, attrs), 2 attributes'] >= 2 * ours,
  );
}

// Log-normal latencies (median ~50 ms), shared by the histogram cases.
const VALUES = logNormalValues();

// --- the OpenTelemetry API on omnimeter (issue #13) ------------------------------
{
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const bridge = createMeterProvider(createMetrics()).getMeter('bench', '1.0.0');
  const bc = bridge.createCounter('bridge.requests');
  const bh = bridge.createHistogram('bridge.duration', { unit: 's', advice: { explicitBucketBoundaries: bounds } });
  const sc = meter.createCounter('sdk.requests');
  const sh = meter.createHistogram('sdk.duration', { unit: 's', advice: { explicitBucketBoundaries: bounds } });
  const r = measure({
    'omnimeter/otel counter.add(1, attrs), 2 attributes': (n) => {
      for (let i = 0; i < n; i++) bc.add(1, LABELS[i & 7]);
    },
    'omnimeter/otel counter.add(1, fresh literal), 2 attributes': (n) => {
      for (let i = 0; i < n; i++) bc.add(1, { tool_name: LABELS[i & 7].tool_name, status: LABELS[i & 7].status });
    },
    'OTel SDK counter.add(1, attrs), 2 attributes': (n) => {
      for (let i = 0; i < n; i++) sc.add(1, LABELS[i & 7]);
    },
    'omnimeter/otel histogram.record(v, attrs), 2 attributes': (n) => {
      for (let i = 0; i < n; i++) bh.record(VALUES[i & 4095], LABELS[i & 7]);
    },
    'OTel SDK histogram.record(v, attrs), 2 attributes': (n) => {
      for (let i = 0; i < n; i++) sh.record(VALUES[i & 4095], LABELS[i & 7]);
    },
  });
  record('OpenTelemetry API: the bridge vs the SDK (reader attached)', r);
  const add = r['OTel SDK counter.add(1, attrs), 2 attributes'] / r['omnimeter/otel counter.add(1, attrs), 2 attributes'];
  const rec = r['OTel SDK histogram.record(v, attrs), 2 attributes'] / r['omnimeter/otel histogram.record(v, attrs), 2 attributes'];
  target('bridge `counter.add(1, attrs)` speed-up over the OTel SDK', `${add.toFixed(2)}x`, '>= 10x', add >= 10);
  target('bridge `histogram.record(v, attrs)` speed-up over the OTel SDK', `${rec.toFixed(2)}x`, '>= 10x', rec >= 10);

  // Exemplars enabled, no span active: the check for a span happens once per series and clock tick.
  const plain = createMetrics().histogram('ex_off_seconds', { help: 'h' }).labels({});
  const withExemplars = createMetrics({ exemplars: { spanContext: activeSpanContext } }).histogram('ex_on_seconds', { help: 'h' });
  const on = withExemplars.labels({});
  // The goal is a ratio of two fast loops: judged by the median of per-round ratios (harness pairedRatio), 15 rounds.
  const er = measureRounds(
    {
      'histogram observe, exemplars off': (n) => {
        for (let i = 0; i < n; i++) plain.observe(VALUES[i & 4095]);
      },
      'histogram observe, exemplars on, no active span': (n) => {
        for (let i = 0; i < n; i++) on.observe(VALUES[i & 4095]);
      },
    },
    { rounds: 15 },
  );
  record('exemplars (issue #13)', medians(er));
  const cost = pairedRatio(er, 'histogram observe, exemplars off', 'histogram observe, exemplars on, no active span');
  target('exemplar-enabled `observe`, no active span, vs exemplars off', `${cost.toFixed(2)}x`, '<= 1.10x', cost <= 1.1);
}

// --- native histograms (issue #17); their observe rows are in bench/scale-out.mjs ----
{
  const m = createMetrics();
  const h = m.histogram('nh_expo_seconds', { help: 'e', labelNames: ['route'], native: true });
  for (let i = 0; i < 1000; i++) for (let j = 0; j < 5; j++) h.observe({ route: `/api/v${i}` }, VALUES[(i * 5 + j) & 4095]);
  const r = await measureAsync({
    'protobuf exposition, 1,000 native histogram series': async () => encodeProtobufExposition(await m.registry.collect()),
    'text exposition of the same (classic buckets)': () => m.registry.expose('prometheus'),
  });
  record('native histograms (issue #17)', r, 'ms');
}

// --- five exporters configured vs none --------------------------------------
const fiveExporters = createNodeMetrics(
  {
    collectionInterval: '1s',
    exporters: [
      { type: 'prometheus', port: 19464 },
      { type: 'statsd', port: 18125 },
      { type: 'json', path: join(mkdtempSync(join(os.tmpdir(), 'omnimeter-bench-')), 'metrics.json') },
      { type: 'console', stream: 'stderr', format: 'json' },
      { type: 'otlp', endpoint: 'http://127.0.0.1:14318/v1/metrics' },
    ],
  },
  {},
);
{
  const none = createMetrics();
  const a = none.counter('n_total', { help: 'n', labelNames: ['tool_name', 'status'] });
  const b = fiveExporters.counter('f_total', { help: 'f', labelNames: ['tool_name', 'status'] });
  const aBound = a.labels(LABELS[0]);
  const bBound = b.labels(LABELS[0]);
  const r = measure({
    'bound inc(), no exporters': (n) => {
      for (let i = 0; i < n; i++) aBound.inc();
    },
    'bound inc(), five exporters configured': (n) => {
      for (let i = 0; i < n; i++) bBound.inc();
    },
    'inc(labels), no exporters': (n) => {
      for (let i = 0; i < n; i++) a.inc(LABELS[i & 7]);
    },
    'inc(labels), five exporters configured': (n) => {
      for (let i = 0; i < n; i++) b.inc(LABELS[i & 7]);
    },
  });
  record('hot path with exporters (issue #3)', r);
  // Stopped here, not at the end: its collection every second (five exports, console output) would run inside
  // the later blocks' timed windows. Prometheus, StatsD and OTLP receivers are absent: the final flush gives up.
  const quiet = console.warn;
  console.warn = () => {};
  await Promise.race([fiveExporters.shutdown(), new Promise((r) => setTimeout(r, 3000))]);
  console.warn = quiet;
  const bound = r['bound inc(), five exporters configured'] / r['bound inc(), no exporters'];
  const labelled = r['inc(labels), five exporters configured'] / r['inc(labels), no exporters'];
  target('bound `inc()`: five exporters vs none', `${bound.toFixed(2)}x`, '<= 1x (5% noise band)', bound <= 1.05);
  // Map lookups swing ±15% between runs here (seen: 0.90x, 1.06x, 1.17x in consecutive runs), in both directions.
  target('`inc(labels)`: five exporters vs none', `${labelled.toFixed(2)}x`, '<= 1x (15% noise band)', labelled <= 1.15);
}

// --- histograms and summaries ----------------------------------------------
{
  const omh = om.histogram('h_seconds', { help: 'h' }); // 11 default buckets
  const ph = prom(promClient.Histogram, { name: 'p_h', help: 'h' });
  const ph2 = prom(promClient.Histogram, { name: 'p_h2', help: 'h', labelNames: ['tool_name', 'status'] });
  const omh2 = om.histogram('h2_seconds', { help: 'h', labelNames: ['tool_name', 'status'] });
  const oh = meter.createHistogram('o_h', {
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const oms = om.summary('s_seconds', { help: 's', quantiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5 });
  const ps = prom(promClient.Summary, { name: 'p_s', help: 's', percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5 });
  const hdrHistogram = hdr.build();
  const r = measure({
    'omnimeter histogram observe (11 buckets)': (n) => {
      for (let i = 0; i < n; i++) omh.observe(VALUES[i & 4095]);
    },
    'prom-client histogram observe (11 buckets)': (n) => {
      for (let i = 0; i < n; i++) ph.observe(VALUES[i & 4095]);
    },
    'OTel SDK histogram record (11 buckets)': (n) => {
      for (let i = 0; i < n; i++) oh.record(VALUES[i & 4095]);
    },
    'omnimeter histogram observe(labels), 2 labels': (n) => {
      for (let i = 0; i < n; i++) omh2.observe(LABELS[i & 7], VALUES[i & 4095]);
    },
    'prom-client histogram observe(labels), 2 labels': (n) => {
      for (let i = 0; i < n; i++) ph2.observe(LABELS[i & 7], VALUES[i & 4095]);
    },
    'omnimeter summary observe (600 s window)': (n) => {
      for (let i = 0; i < n; i++) oms.observe(VALUES[i & 4095]);
    },
    'prom-client summary observe (600 s window)': (n) => {
      for (let i = 0; i < n; i++) ps.observe(VALUES[i & 4095]);
    },
    'hdr-histogram-js recordValue (µs, JS)': (n) => {
      for (let i = 0; i < n; i++) hdrHistogram.recordValue(Math.round(VALUES[i & 4095] * 1e6));
    },
  });
  record('histogram and summary', r);
  const h = r['omnimeter histogram observe (11 buckets)'];
  target(
    'histogram `observe` speed-up over prom-client',
    ratio(r['prom-client histogram observe (11 buckets)'], h),
    '>= 5x',
    r['prom-client histogram observe (11 buckets)'] >= 5 * h,
  );
  const labelled = r['omnimeter histogram observe(labels), 2 labels'];
  const theirs = r['prom-client histogram observe(labels), 2 labels'];
  target('histogram `observe(labels)` speed-up over prom-client', ratio(theirs, labelled), '>= 10x', theirs >= 10 * labelled);
  const s = r['omnimeter summary observe (600 s window)'];
  target(
    'summary `observe` speed-up over prom-client',
    ratio(r['prom-client summary observe (600 s window)'], s),
    '>= 10x',
    r['prom-client summary observe (600 s window)'] >= 10 * s,
  );
}

// --- summary accuracy -------------------------------------------------------
{
  const m = createMetrics();
  const s = m.summary('acc_seconds', { help: 'a', quantiles: [0.5, 0.9, 0.99, 0.999] });
  const p = new promClient.Summary({ name: 'acc', help: 'a', percentiles: [0.5, 0.9, 0.99, 0.999], registers: [] });
  let seed = 42;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const values = Array.from({ length: 100_000 }, () => Math.exp(-3 + Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand())));
  for (const v of values) {
    s.observe(v);
    p.observe(v);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const exact = (q) => sorted[Math.floor(q * (sorted.length - 1))];
  const ours = (await m.registry.collect()).find((f) => f.name === 'acc_seconds').series[0].quantileValues;
  const theirs = (await p.get()).values.filter((v) => v.labels.quantile !== undefined).map((v) => v.value);
  const qs = [0.5, 0.9, 0.99, 0.999];
  const err = (vals) => Math.max(...qs.map((q, i) => Math.abs(vals[i] - exact(q)) / exact(q)));
  rows.push(['summary accuracy (100k log-normal values)', 'omnimeter max relative quantile error', err(ours) * 100, '%']);
  rows.push(['summary accuracy (100k log-normal values)', 'prom-client max relative quantile error', err(theirs) * 100, '%']);
  target('summary max relative quantile error (q = .5 … .999)', `${(err(ours) * 100).toFixed(3)}%`, '<= 1%', err(ours) <= 0.01);
}

// --- exposition (bench/exposition.mjs; alone: node --expose-gc bench/exposition.mjs) ---
{
  const { benchExposition } = await import('./exposition.mjs');
  await benchExposition(record, target, VALUES);
}

// --- WebAssembly guests (issues #4, #11) ------------------------------------------
{
  const { benchHost } = await import('./host.mjs');
  await benchHost(record, target);
}

// --- beyond one process: remote write, cluster merge, native observe (issue #17) ---
{
  const { benchScaleOut } = await import('./scale-out.mjs');
  await benchScaleOut(record, target);
}

// --- MCP instrumentation (issue #15) -------------------------------------------
{
  const { benchMcp } = await import('./mcp.mjs');
  await benchMcp(record, target);
}

// --- browser bundles (issue #5) ------------------------------------------------
{
  const { build } = await import('esbuild');
  const { gzipSync } = await import('node:zlib');
  const root = new URL('..', import.meta.url).pathname;
  const bundle = async (entry) => {
    const options = { bundle: true, platform: 'browser', format: 'esm', minify: true, write: false, logLevel: 'silent' };
    const out = await build(
      entry.endsWith('.ts')
        ? { ...options, entryPoints: [join(root, entry)] }
        : { ...options, stdin: { contents: entry, resolveDir: root } },
    );
    const bytes = out.outputFiles[0].contents;
    return { min: bytes.length / 1024, gzip: gzipSync(bytes).length / 1024 };
  };
  const group = 'browser bundles (esbuild, minified)';
  const core = await bundle('src/browser/index.ts');
  rows.push([group, 'omnimeter/browser: min', core.min, 'KiB']);
  rows.push([group, 'omnimeter/browser: min + gzip', core.gzip, 'KiB']);
  rows.push([group, 'omnimeter/host (browser entry): min + gzip', (await bundle('src/host/browser.ts')).gzip, 'KiB']);
  rows.push([group, 'omnimeter/browser/exporters (with zod): min + gzip', (await bundle('src/browser/exporters.ts')).gzip, 'KiB']);
  // The peer: what a page pays for the OpenTelemetry SDK's metrics (a meter provider and a counter).
  const otel = await bundle(
    "import { MeterProvider } from '@opentelemetry/sdk-metrics'; export const c = new MeterProvider().getMeter('m').createCounter('c');",
  );
  rows.push([group, 'OTel SDK metrics (MeterProvider): min + gzip', otel.gzip, 'KiB']);
  // The budget test/browser/entry.test.ts enforces (its comment says what the last increases paid for).
  target('omnimeter/browser size, min + gzip', `${core.gzip.toFixed(2)} KiB`, '<= 16.5 KiB', core.gzip <= 16.5);
}

// --- scale: memory per series, 100k-series scrapes (bench/scale.mjs) --------
{
  const { scaleBench } = await import('./scale.mjs');
  const { rows: scaleRows, results: s } = await scaleBench({ million: process.argv.includes('--1m') });
  rows.push(...scaleRows);
  for (const type of ['counter', 'gauge', 'histogram', 'summary']) {
    const r = s[`omnimeter ${type} 20000`] / s[`prom-client ${type} 20000`];
    const goal = type === 'summary' ? 1 : 1 / 3;
    target(`memory per ${type} series (20k) vs prom-client`, `${r.toFixed(2)}x`, `<= ${goal.toFixed(2)}x`, r <= goal);
  }
  const ours = s['omnimeter scrape'];
  const theirs = s['prom-client scrape'];
  target('scrape of 100k series (median of 5), speed-up over prom-client', ratio(theirs.ms, ours.ms), '>= 5x', theirs.ms >= 5 * ours.ms);
  // What blocks the loop is the main thread's work between two turns. Process CPU time also counts V8's GC helper
  // threads and the zlib thread pool, working beside the loop: its floor here (2 ms turns of work) is ~15 ms.
  // Linux counts a running thread's CPU time in 4 ms ticks: each gap's reading is capped by its wall clock.
  for (const [what, r] of [
    ['expose(), 5 scrapes', ours],
    ["HTTP + gzip, the process's first", s['omnimeter first http scrape']],
    ['HTTP + gzip, 5 more', s['omnimeter http scrape']],
  ]) {
    const value = `${r.maxBlockedMs.toFixed(1)} ms (wall clock ${r.maxStallMs.toFixed(1)} ms)`;
    target(`scrape of 100k series, ${what}: longest stall, main-thread CPU`, value, '<= 10 ms', r.maxBlockedMs <= 10);
  }
}

// --- report -------------------------------------------------------------------
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
const fmt = (v, unit) =>
  unit === 'B'
    ? v.toFixed(0)
    : unit === 'ns/op'
      ? v.toFixed(v < 10 ? 2 : 1)
      : unit === 'ms' || unit === 'KiB' || unit === 'µs/call'
        ? v.toFixed(2)
        : v.toFixed(3);
let table = `Machine: ${machine}\nRun: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench\` (median of 9 interleaved rounds)\n\n`;
table += '| group | case | result | unit |\n|---|---|---:|---|\n';
for (const [group, name, v, unit] of rows) table += `| ${group} | ${name} | ${fmt(v, unit)} | ${unit} |\n`;
table += '\n| target | measured | goal | met |\n|---|---:|---|---|\n';
for (const t of targets) table += `| ${t.join(' | ')} |\n`;
console.log(table);

if (WRITE) {
  const path = new URL('../docs/benchmarks.md', import.meta.url);
  const doc = readFileSync(path, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const updated = doc.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${table}${end}`);
  writeFileSync(path, updated);
  console.log('docs/benchmarks.md updated');
}
await om.shutdown();
process.exit(0);
