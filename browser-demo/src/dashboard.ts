/**
 * Everything the page shows from its registry, refreshed from one collection
 * per sample: the charts, the tiles, the asked-vs-recorded ledger and the
 * exposition and JSON panes.
 */
import { type Metrics, toJsonSnapshot } from 'omnimeter/browser';
import { LiveChart } from './charts.js';
import { $ } from './dom.js';
import { Readings } from './readings.js';
import type { Ledger } from './workload.js';

export interface DashboardOptions {
  metrics: Metrics;
  /** The page's metric prefix (guest metrics carry it too; omnimeter_* never do). */
  prefix: string;
  ledger: Ledger;
  exposition: () => 'openmetrics' | 'prometheus';
}

const format = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 1 }) : '–');
const us = (seconds: number) => seconds * 1e6;

/** Builds the charts and the ledger rows; returns the function that takes one sample. */
export function dashboard({ metrics, prefix, ledger, exposition }: DashboardOptions): () => Promise<void> {
  const own = (name: string) => `${prefix}${name}`;
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

  const rows = [
    {
      key: 'documents-ok',
      label: 'json-tool: valid documents',
      asked: () => ledger.documentsOk,
      recorded: (r: Readings) => r.sum(own('json_tool_documents'), { status: 'ok' }),
    },
    {
      key: 'documents-invalid',
      label: 'json-tool: malformed documents',
      asked: () => ledger.documentsInvalid,
      recorded: (r: Readings) => r.sum(own('json_tool_documents'), { status: 'invalid' }),
    },
    {
      key: 'fib-calls',
      label: 'cpu-tool: fib calls',
      asked: () => ledger.fibCalls,
      recorded: (r: Readings) => r.sum(own('cpu_tool_calls'), { export: 'fib' }),
    },
  ];
  $('ledger').querySelector('tbody')!.innerHTML = rows
    .map(
      (row) =>
        `<tr data-key="${row.key}"><th>${row.label}</th><td class="asked"></td><td class="recorded"></td><td class="check"></td></tr>`,
    )
    .join('');

  let before: Readings | undefined;
  let sampling = false;
  return async function sample(): Promise<void> {
    if (sampling) return;
    sampling = true;
    try {
      const families = await metrics.registry.collect();
      const now = new Readings(families, Date.now());
      callsChart.push(now.timeMs, [
        now.rate(before, own('tool_calls'), { status: 'ok' }),
        now.rate(before, own('tool_calls'), { status: 'error' }),
        now.sum(own('load_target_calls_per_second')),
      ]);
      latencyChart.push(
        now.timeMs,
        [0.5, 0.9, 0.99].map((q) => us(now.summaryQuantile(own('tool_latency_seconds'), q, { tool_name: 'parse_json' }))),
      );
      sizeChart.push(now.timeMs, [
        now.histogramQuantile(before, own('json_tool_document_bytes'), 0.5),
        now.histogramQuantile(before, own('json_tool_document_bytes'), 0.9),
        now.rate(before, own('json_tool_documents'), { status: 'invalid' }),
      ]);
      runtimeChart.push(now.timeMs, [
        now.rate(before, 'omnimeter_wasm_invocations'),
        us(now.histogramQuantile(before, 'omnimeter_wasm_host_call_seconds', 0.5)),
      ]);
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

      for (const row of rows) {
        const tr = document.querySelector(`#ledger tr[data-key="${row.key}"]`)!;
        const asked = row.asked();
        const recorded = row.recorded(now);
        tr.querySelector('.asked')!.textContent = String(asked);
        tr.querySelector('.recorded')!.textContent = String(recorded);
        tr.querySelector('.check')!.textContent = asked === recorded ? '✓' : '≠';
        tr.className = asked === recorded ? 'equal' : 'differs';
      }

      const shown = exposition();
      $('exposition-title').textContent =
        shown === 'openmetrics' ? 'OpenMetrics 1.0 (what a scrape would get)' : 'Prometheus text 0.0.4 (what a scrape would get)';
      $('exposition').textContent = await metrics.registry.expose(shown);
      $('exposition').dataset.format = shown;
      $('json').textContent = JSON.stringify(toJsonSnapshot(families, now.timeMs), null, 2);
      before = now;
    } finally {
      sampling = false;
    }
  };
}
