/**
 * `npm start`: a live demo on embedded defaults. A simulated MCP-style tool
 * server is instrumented with every instrument type and serves its metrics
 * (with Node process metrics) on http://127.0.0.1:9464/metrics.
 */
import { pathToFileURL } from 'node:url';
import { type MetricsServer, type NodeMetrics, createMetrics } from '../node/index.js';

export interface DemoOptions {
  port?: number;
  host?: string;
  /** Simulated tool calls per second. */
  rate?: number;
  /** Fraction of calls that fail. */
  errorRatio?: number;
}

export interface Demo {
  metrics: NodeMetrics;
  server: MetricsServer;
  stop(): Promise<void>;
}

const TOOLS = ['search', 'fetch_url', 'read_file', 'summarize'] as const;

/** Log-normal latency around `median` seconds: what real tool calls look like. */
function latency(median: number): number {
  const z = Math.sqrt(-2 * Math.log(Math.random() || 1e-12)) * Math.cos(2 * Math.PI * Math.random());
  return median * Math.exp(0.6 * z);
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const metrics = createMetrics({ prefix: 'mcp_', defaultLabels: { service: 'omnimeter-demo' } });
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

  const server = await metrics.serve({ port: options.port ?? 9464, host: options.host ?? '127.0.0.1' });
  return {
    metrics,
    server,
    async stop() {
      clearInterval(timer);
      await metrics.shutdown();
    },
  };
}

export async function runDemo(): Promise<void> {
  const port = process.env.OMNIMETER_PORT === undefined ? 9464 : Number(process.env.OMNIMETER_PORT);
  const demo = await startDemo({ port, host: process.env.OMNIMETER_HOST ?? '127.0.0.1' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      console.error(`port ${port} is in use: set OMNIMETER_PORT to another port (0 picks a free one)`);
      process.exit(1);
    }
    throw error;
  });
  console.log(`omnimeter demo: simulated MCP tool server, instrumented
  metrics (Prometheus text):  curl ${demo.server.url}
  metrics (OpenMetrics):      curl -H 'Accept: application/openmetrics-text; version=1.0.0' ${demo.server.url}
Ctrl-C stops it.`);
  const stop = async () => {
    await demo.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runDemo();
