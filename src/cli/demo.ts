/**
 * `npm start`: a live demo on embedded defaults. A simulated MCP-style tool
 * server is instrumented with every instrument type and serves its metrics
 * (with Node process metrics) on http://127.0.0.1:9464/metrics.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CONFIG_FILES, type MetricsConfigInput, type NodeMetrics, createMetrics, loadConfig } from '../node/index.js';

/** The embedded defaults: Prometheus on 127.0.0.1:9464, nothing else. */
export const DEMO_CONFIG: MetricsConfigInput = {
  enabled: true,
  prefix: 'mcp_',
  defaultLabels: { service: 'omnimeter-demo' },
  exporters: [{ type: 'prometheus', host: '127.0.0.1', port: 9464 }],
};

export interface DemoOptions {
  /** Configuration to run with; default DEMO_CONFIG. */
  config?: MetricsConfigInput;
  /** Simulated tool calls per second. */
  rate?: number;
  /** Fraction of calls that fail. */
  errorRatio?: number;
}

export interface Demo {
  metrics: NodeMetrics;
  stop(): Promise<void>;
}

const TOOLS = ['search', 'fetch_url', 'read_file', 'summarize'] as const;

/** Log-normal latency around `median` seconds: what real tool calls look like. */
function latency(median: number): number {
  const z = Math.sqrt(-2 * Math.log(Math.random() || 1e-12)) * Math.cos(2 * Math.PI * Math.random());
  return median * Math.exp(0.6 * z);
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const metrics = createMetrics(options.config ?? DEMO_CONFIG);
  await metrics.ready();
  metrics.collectDefaultMetrics();
  const calls = metrics.counter('tool_calls_total', { help: 'Tool calls by tool and outcome.', labelNames: ['tool_name', 'status'] as const });
  const duration = metrics.timer('tool_execution_seconds', { help: 'Tool execution time.', labelNames: ['tool_name'] as const });
  const latencySummary = metrics.summary('tool_latency_seconds', {
    help: 'Tool latency quantiles over the last minute.',
    labelNames: ['tool_name'] as const,
    quantiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 60,
    ageBuckets: 5,
  });
  const payload = metrics.histogram('request_size_bytes', { help: 'Request payload sizes.', buckets: [64, 256, 1024, 4096, 16384], unit: 'bytes' });
  const inFlight = metrics.gauge('tool_calls_in_flight', { help: 'Tool calls currently running.' });
  const cache = metrics.gauge('cache_memory_bytes', { help: 'Memory held by the result cache.', unit: 'bytes' });
  let cacheBytes = 0;
  metrics.gauge('cache_entries', { help: 'Entries in the result cache.', collect: (g) => g.set(Math.round(cacheBytes / 512)) });

  const rate = options.rate ?? 20;
  const errorRatio = options.errorRatio ?? 0.05;
  const timer = setInterval(() => {
    const tool = TOOLS[Math.floor(Math.random() * TOOLS.length)]!;
    const seconds = latency(tool === 'summarize' ? 0.4 : 0.05);
    inFlight.inc();
    payload.observe(Math.round(64 + Math.random() * 8000));
    setTimeout(() => {
      inFlight.dec();
      duration.observe({ tool_name: tool }, seconds);
      latencySummary.observe({ tool_name: tool }, seconds);
      calls.inc({ tool_name: tool, status: Math.random() < errorRatio ? 'error' : 'ok' });
      cacheBytes = Math.min(64 * 1024 * 1024, cacheBytes + 512);
      cache.set(cacheBytes);
    }, seconds * 1000).unref();
  }, 1000 / rate);

  return {
    metrics,
    async stop() {
      clearInterval(timer);
      await metrics.shutdown();
    },
  };
}

/** The configuration `npm start` runs: OMNIMETER_CONFIG or omnimeter.config.* if present, else DEMO_CONFIG. */
function demoConfig(): { config: MetricsConfigInput; source: string } {
  const file = process.env.OMNIMETER_CONFIG ?? CONFIG_FILES.find((f) => existsSync(f));
  if (file) return { config: loadConfig(), source: file };
  const port = process.env.OMNIMETER_PORT === undefined ? 9464 : Number(process.env.OMNIMETER_PORT);
  return { config: { ...DEMO_CONFIG, exporters: [{ type: 'prometheus', host: process.env.OMNIMETER_HOST ?? '127.0.0.1', port }] }, source: 'embedded defaults' };
}

export async function runDemo(): Promise<void> {
  const { config, source } = demoConfig();
  const demo = await startDemo({ config }).catch((error: Error) => {
    console.error(`omnimeter demo: ${error.message}`);
    if (/EADDRINUSE/.test(error.message)) console.error('set OMNIMETER_PORT to another port');
    process.exit(1);
  });
  const endpoints = demo.metrics.config.exporters.map((e) =>
    e.type === 'prometheus' ? `  prometheus  http://${e.host}:${e.port}${e.path}  (JSON: ${e.path}.json)` : `  ${e.type.padEnd(10)}  ${e.type === 'json' ? e.path : e.type === 'otlp' ? e.endpoint : e.type === 'statsd' ? `${e.protocol}://${e.host}:${e.port}` : e.format}`,
  );
  console.log(`omnimeter demo: a simulated MCP tool server, instrumented (config: ${source})
${endpoints.join('\n')}
  metrics are ${demo.metrics.enabled ? 'enabled' : 'DISABLED (set enabled: true or OMNIMETER_ENABLED=true)'}; Ctrl-C flushes every exporter and stops.`);
  const stop = async () => {
    await demo.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runDemo();
