/**
 * The demo page: two example components under the host aggregator, a load
 * the user drives through them, and a dashboard read from the page's own
 * registry once a second.
 */
import { createMetrics } from 'omnimeter/browser';
import { ComponentHost } from 'omnimeter/host';
import { loadExamples } from './components.js';
import { dashboard } from './dashboard.js';
import { $ } from './dom.js';
import { exportersPanel } from './panels/exporters.js';
import { loadPanel } from './panels/load.js';
import { pushPanel } from './panels/push.js';
import { startWorkload } from './workload.js';
import './style.css';

// A prefix of its own, so that pushed into a collector (npm start's) its names meet no others.
const PREFIX = 'browser_';
const metrics = createMetrics({ prefix: PREFIX });

const host = new ComponentHost({ metrics });
const { jsonTool, cpuTool } = await loadExamples();
const json = host.load(jsonTool).instantiate('page');
const cpu = host.load(cpuTool).instantiate('page');
$('components').innerHTML = [jsonTool, cpuTool]
  .map((c) => `<span class="pill" title="sha256 ${c.sha256}">${c.name} <code>${c.sha256.slice(0, 12)}</code></span>`)
  .join('');

const workload = startWorkload(metrics, { json, cpu });
loadPanel(workload);
pushPanel(metrics);
const exporters = exportersPanel(metrics, () => void sample());
const sample = dashboard({ metrics, prefix: PREFIX, ledger: workload.ledger, exposition: () => exporters.exposition });

await exporters.apply(); // the default exporters; takes the first sample
setInterval(() => void sample(), 1000);
document.body.dataset.ready = 'true';
