/**
 * The load the user drives: a simulated tool server calling the two
 * components at `rate` calls per second, a share `errorRatio` of the JSON
 * documents malformed. The page's own metrics wrap each call, and a ledger
 * counts what the components were asked to do, so the page can show that
 * the numbers they recorded are exactly those.
 */
import type { ComponentInstance } from 'omnimeter/host';
import type { Metrics } from 'omnimeter/browser';

export interface Ledger {
  documentsOk: number;
  documentsInvalid: number;
  fibCalls: number;
}

export interface Workload {
  rate: number;
  errorRatio: number;
  running: boolean;
  readonly ledger: Ledger;
  stop(): void;
}

const TICK_MS = 50;

function randomDocument(valid: boolean): string {
  const items = Array.from({ length: 1 + Math.floor(Math.random() * 60) }, (_, i) => (i % 3 === 0 ? `"item-${i}"` : String(i * 1.5)));
  const doc = `{"items": [${items.join(', ')}], "ok": true, "owner": null}`;
  return valid ? doc : doc.slice(0, -1); // truncated: malformed
}

export function startWorkload(metrics: Metrics, tools: { json: ComponentInstance; cpu: ComponentInstance }): Workload {
  const calls = metrics.counter('tool_calls_total', {
    help: 'Tool calls by tool and outcome.',
    labelNames: ['tool_name', 'status'] as const,
  });
  const duration = metrics.timer('tool_execution_seconds', {
    help: 'Tool execution time, measured around the component call.',
    labelNames: ['tool_name'] as const,
    buckets: [0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01],
  });
  const latency = metrics.summary('tool_latency_seconds', {
    help: 'Tool latency quantiles over the last minute.',
    labelNames: ['tool_name'] as const,
    quantiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 60,
    ageBuckets: 5,
  });
  const targetRate = metrics.gauge('load_target_calls_per_second', { help: 'The rate the load slider asks for.' });
  const targetErrors = metrics.gauge('load_error_ratio', { help: 'The share of malformed documents the slider asks for.' });

  const ledger: Ledger = { documentsOk: 0, documentsInvalid: 0, fibCalls: 0 };
  let owed = 0;

  const callOnce = () => {
    const json = Math.random() < 2 / 3;
    const tool = json ? 'parse_json' : 'compute';
    const stop = duration.start({ tool_name: tool });
    let status = 'ok';
    if (json) {
      const valid = Math.random() >= workload.errorRatio;
      if (valid) ledger.documentsOk++;
      else ledger.documentsInvalid++;
      if (tools.json.call('count-values', randomDocument(valid)) === -1) status = 'error';
    } else {
      ledger.fibCalls++;
      tools.cpu.call('fib', 8 + Math.floor(Math.random() * 10), 1);
    }
    latency.observe({ tool_name: tool }, stop());
    calls.inc({ tool_name: tool, status });
  };

  const timer = setInterval(() => {
    targetRate.set(workload.running ? workload.rate : 0);
    targetErrors.set(workload.errorRatio);
    if (!workload.running) return;
    owed += (workload.rate * TICK_MS) / 1000;
    for (; owed >= 1; owed--) callOnce();
  }, TICK_MS);

  const workload: Workload = { rate: 40, errorRatio: 0.1, running: true, ledger, stop: () => clearInterval(timer) };
  return workload;
}
