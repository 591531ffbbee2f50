/**
 * The demo page: loads two example components under the host aggregator,
 * drives load through them, and every second reads the registry into charts,
 * tiles, the asked-vs-recorded ledger and the exposition panes.
 */
import { type Pusher, createMetrics, pushSnapshots, toJsonSnapshot } from 'omnimeter/browser';
import { type PageExporters, startPageExporters } from 'omnimeter/browser/exporters';
import { ComponentHost } from 'omnimeter/host';
import { LiveChart } from './charts.js';
import { loadExamples } from './components.js';
import { DEFAULT_PRESET, PRESETS } from './presets.js';
import { Readings } from './readings.js';
import { startWorkload } from './workload.js';
import './style.css';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// A prefix of its own, so that pushed into a collector (npm start's) its names meet no others.
const PREFIX = 'browser_';
const metrics = createMetrics({ prefix: PREFIX });
const own = (name: string) => `${PREFIX}${name}`;
const host = new ComponentHost({ metrics });
const { jsonTool, cpuTool } = await loadExamples();
const json = host.load(jsonTool).instantiate('page');
const cpu = host.load(cpuTool).instantiate('page');
$('components').innerHTML = [jsonTool, cpuTool].map((c) => `<span class="pill" title="sha256 ${c.sha256}">${c.name} <code>${c.sha256.slice(0, 12)}</code></span>`).join('');

const workload = startWorkload(metrics, { json, cpu });

// Load controls.
const rate = $<HTMLInputElement>('rate');
const errors = $<HTMLInputElement>('errors');
const showControls = () => {
  $('rate-value').textContent = `${workload.rate} calls/s`;
  $('errors-value').textContent = `${Math.round(workload.errorRatio * 100)}%`;
  $('toggle').textContent = workload.running ? 'Pause' : 'Resume';
};
rate.value = String(workload.rate);
errors.value = String(workload.errorRatio);
rate.addEventListener('input', () => ((workload.rate = Number(rate.value)), showControls()));
errors.addEventListener('input', () => ((workload.errorRatio = Number(errors.value)), showControls()));
$('toggle').addEventListener('click', () => ((workload.running = !workload.running), showControls()));
showControls();

// Exporters: a configuration in the user's schema, validated, then applied.
const output = $('exporter-output');
const outputLines: string[] = [];
const write = (text: string) => {
  outputLines.push(...text.trimEnd().split('\n'));
  outputLines.splice(0, Math.max(0, outputLines.length - 400));
  output.textContent = outputLines.join('\n');
  output.scrollTop = output.scrollHeight;
};
let exporters: PageExporters | undefined;
const preset = $<HTMLSelectElement>('preset');
const configText = $<HTMLTextAreaElement>('config');
const status = $('config-status');
preset.innerHTML = Object.keys(PRESETS).map((name) => `<option>${name}</option>`).join('');
preset.value = DEFAULT_PRESET;
const showPreset = () => (configText.value = JSON.stringify(PRESETS[preset.value], null, 2));
async function apply(): Promise<void> {
  let input: unknown;
  try {
    input = JSON.parse(configText.value);
  } catch (error) {
    status.className = 'status error';
    status.textContent = `config: expected JSON (${(error as Error).message})`;
    return;
  }
  try {
    const next = startPageExporters(metrics, input, { write, warn: (message) => write(`! ${message}`) });
    await exporters?.close(); // the previous exporters deliver a final collection first
    exporters = next;
    status.className = 'status ok';
    status.textContent = `Applied: ${next.size} push exporter${next.size === 1 ? '' : 's'}${next.exposition ? `, exposition ${next.exposition}` : ''}.`;
    void sample();
  } catch (error) {
    status.className = 'status error';
    status.textContent = (error as Error).message; // a ConfigError names each path and value
  }
}
preset.addEventListener('change', () => (showPreset(), void apply()));
$('apply').addEventListener('click', () => void apply());
showPreset();

// Pushing snapshots to a collector's /ingest (off until asked: no surprise requests).
const push = $<HTMLInputElement>('push');
const pushUrl = $<HTMLInputElement>('push-url');
const pushStatus = $('push-status');
pushUrl.value = new URLSearchParams(location.search).get('collector') ?? 'http://127.0.0.1:9464/ingest?source=browser-demo';
let pusher: Pusher | undefined;
const showPushes = () => {
  if (!pusher) return;
  pushStatus.className = pusher.failures ? 'status error' : 'status ok';
  pushStatus.textContent = `${pusher.delivered} delivered, ${pusher.failures} failed${pusher.failures ? ' (is the collector running, and does it list this origin?)' : ''}.`;
};
push.addEventListener('change', () => {
  pusher?.stop(); // a final beacon
  pusher = undefined;
  pushStatus.className = 'status';
  pushStatus.textContent = push.checked ? 'Pushing…' : 'Off.';
  if (push.checked) pusher = pushSnapshots(metrics, { url: pushUrl.value, intervalMs: 2000 });
});
setInterval(showPushes, 1000);

// Charts, tiles, ledger and panes, from one collection per second.
const charts = $('charts');
const callsChart = new LiveChart(charts, {
  title: 'Tool calls per second (page counter)',
  unit: '/s',
  lines: [
    { label: 'ok', color: '#4ade80' },
    { label: 'error', color: '#f87171' },
    { label: 'target', color: '#64748b' },
  ],
});
const latencyChart = new LiveChart(charts, {
  title: 'parse_json latency, summary over 60 s (µs)',
  unit: 'µs',
  lines: [
    { label: 'p50', color: '#60a5fa' },
    { label: 'p90', color: '#a78bfa' },
    { label: 'p99', color: '#f472b6' },
  ],
});
const sizeChart = new LiveChart(charts, {
  title: 'Guest histogram: JSON document bytes (per interval)',
  unit: 'B',
  rightUnit: '/s',
  lines: [
    { label: 'p50', color: '#fbbf24' },
    { label: 'p90', color: '#fb923c' },
    { label: 'invalid docs/s', color: '#f87171', right: true },
  ],
});
const runtimeChart = new LiveChart(charts, {
  title: 'WASM runtime: invocations and host-call latency',
  unit: '/s',
  rightUnit: 'µs',
  lines: [
    { label: 'invocations/s', color: '#22d3ee' },
    { label: 'host call p50 µs', color: '#e879f9', right: true },
  ],
});

const LEDGER = [
  { key: 'documents-ok', label: 'json-tool: valid documents', asked: () => workload.ledger.documentsOk, recorded: (r: Readings) => r.sum(own('json_tool_documents'), { status: 'ok' }) },
  { key: 'documents-invalid', label: 'json-tool: malformed documents', asked: () => workload.ledger.documentsInvalid, recorded: (r: Readings) => r.sum(own('json_tool_documents'), { status: 'invalid' }) },
  { key: 'fib-calls', label: 'cpu-tool: fib calls', asked: () => workload.ledger.fibCalls, recorded: (r: Readings) => r.sum(own('cpu_tool_calls'), { export: 'fib' }) },
];
$('ledger').querySelector('tbody')!.innerHTML = LEDGER.map((row) => `<tr data-key="${row.key}"><th>${row.label}</th><td class="asked"></td><td class="recorded"></td><td class="check"></td></tr>`).join('');

const format = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 1 }) : '–');
const us = (seconds: number) => seconds * 1e6;

let before: Readings | undefined;
let sampling = false;
async function sample(): Promise<void> {
  if (sampling) return;
  sampling = true;
  try {
    const families = await metrics.registry.collect();
    const now = new Readings(families, Date.now());
    callsChart.push(now.timeMs, [now.rate(before, own('tool_calls'), { status: 'ok' }), now.rate(before, own('tool_calls'), { status: 'error' }), now.sum(own('load_target_calls_per_second'))]);
    latencyChart.push(now.timeMs, [0.5, 0.9, 0.99].map((q) => us(now.summaryQuantile(own('tool_latency_seconds'), q, { tool_name: 'parse_json' }))));
    sizeChart.push(now.timeMs, [now.histogramQuantile(before, own('json_tool_document_bytes'), 0.5), now.histogramQuantile(before, own('json_tool_document_bytes'), 0.9), now.rate(before, own('json_tool_documents'), { status: 'invalid' })]);
    runtimeChart.push(now.timeMs, [now.rate(before, 'omnimeter_wasm_invocations'), us(now.histogramQuantile(before, 'omnimeter_wasm_host_call_seconds', 0.5))]);
    charts.dataset.samples = String(callsChart.points);

    const total = now.sum(own('tool_calls'));
    const failed = now.sum(own('tool_calls'), { status: 'error' });
    $('tiles').innerHTML = [
      ['Tool calls', format(total)],
      ['Errors', total ? `${format((100 * failed) / total)}%` : '–'],
      ['Calls/s now', format(now.rate(before, own('tool_calls')))],
      ['Host calls', format(now.sum('omnimeter_wasm_host_calls'))],
      ['Guest memory', `${format(now.sum('omnimeter_wasm_memory_bytes') / 1024)} KiB`],
    ]
      .map(([label, value]) => `<div class="card tile"><span>${label}</span><strong>${value}</strong></div>`)
      .join('');

    for (const row of LEDGER) {
      const tr = document.querySelector(`#ledger tr[data-key="${row.key}"]`)!;
      const asked = row.asked();
      const recorded = row.recorded(now);
      tr.querySelector('.asked')!.textContent = String(asked);
      tr.querySelector('.recorded')!.textContent = String(recorded);
      tr.querySelector('.check')!.textContent = asked === recorded ? '✓' : '≠';
      tr.className = asked === recorded ? 'equal' : 'differs';
    }

    const exposition = exporters?.exposition ?? 'openmetrics';
    $('exposition-title').textContent = exposition === 'openmetrics' ? 'OpenMetrics 1.0 (what a scrape would get)' : 'Prometheus text 0.0.4 (what a scrape would get)';
    $('exposition').textContent = await metrics.registry.expose(exposition);
    $('exposition').dataset.format = exposition;
    $('json').textContent = JSON.stringify(toJsonSnapshot(families, now.timeMs), null, 2);
    before = now;
  } finally {
    sampling = false;
  }
}

await apply();
setInterval(() => void sample(), 1000);
document.body.dataset.ready = 'true';
