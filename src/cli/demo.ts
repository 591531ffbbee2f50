import { otlpEndpoint } from '../exporters/otlp.js';
/**
 * `npm start`: a live demo on embedded defaults. A simulated MCP-style tool
 * server whose tools are the example WebAssembly components (run under the
 * host aggregator, their own metrics labelled by component) serves
 * everything, with Node process metrics, on http://127.0.0.1:9464/metrics.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtComponentDir, inRepository, missingComponentMessage, packageRoot } from '../build/locations.js';
import { portFromEnvironment } from '../config/load.js';
import type { ExporterConfig } from '../config/schema.js';
import { ComponentHost, type RecoveryOptions, readComponent } from '../host/index.js';
import { CONFIG_FILES, type MetricsConfigInput, type NodeMetrics, createMetrics, loadConfig } from '../node/index.js';
import { DEMO_COMPONENT_RECOVERY, DEMO_HEALTH_ALERTING, type IncidentOptions, callFlaky, startIncidents } from './demo-incidents.js';

/** Where the browser demo's pages come from (npm run demo:browser, demo:browser:static): they may push here. */
const BROWSER_DEMO_ORIGINS = ['http://127.0.0.1:5173', 'http://localhost:5173', 'http://127.0.0.1:4173', 'http://localhost:4173'];

/**
 * The embedded defaults: Prometheus on 127.0.0.1:9464, nothing else, with
 * /ingest open to the browser demo's pages so their metrics can join.
 */
export const DEMO_CONFIG: MetricsConfigInput = {
  enabled: true,
  prefix: 'mcp_',
  defaultLabels: { service: 'omnimeter-demo' },
  exporters: [{ type: 'prometheus', host: '127.0.0.1', port: 9464, ingest: { origins: BROWSER_DEMO_ORIGINS } }],
  ...DEMO_HEALTH_ALERTING,
};

export interface DemoOptions {
  /** Configuration to run with; default DEMO_CONFIG. */
  config?: MetricsConfigInput;
  /** Progress while the example components build; default: none. */
  log?: (line: string) => void;
  /** Simulated tool calls per second. */
  rate?: number;
  /** Fraction of calls that fail. */
  errorRatio?: number;
  /** When incidents (raised error ratio, a trapping tool) happen; false: never. */
  incidents?: Pick<IncidentOptions, 'firstAfterMs' | 'cycleMs' | 'incidentMs'> | false;
  /** How the host re-instantiates a trapped tool; default DEMO_COMPONENT_RECOVERY. */
  componentRecovery?: RecoveryOptions | false;
}

export interface Demo {
  metrics: NodeMetrics;
  stop(): Promise<void>;
}

/** The demo's tools are the example WebAssembly components, run under the host aggregator. */
const TOOLS = [
  { name: 'parse_json', component: 'json-tool' },
  { name: 'validate_json', component: 'json-tool' },
  { name: 'compute', component: 'cpu-tool' },
] as const;

/**
 * The demo's two tools. In the repository they are built from source first,
 * only if something they depend on changed (a fresh clone: ~30 s, with
 * progress on the console); an installed package carries them prebuilt.
 */
async function exampleComponents(log: (line: string) => void): Promise<void> {
  if (inRepository()) {
    const { build } = (await import(pathToFileURL(join(packageRoot(), 'wasm', 'build.mjs')).href)) as {
      build: (names: string[], options: { log: (line: string) => void }) => Promise<unknown>;
    };
    await build(['json-tool', 'cpu-tool', 'hostile'], { log });
  }
  for (const name of ['json-tool', 'cpu-tool']) if (!existsSync(builtComponentDir(name))) throw new Error(missingComponentMessage(name));
}

const exampleComponent = (name: string) => readComponent(builtComponentDir(name));

function randomDocument(errorRatio: number): string {
  const items = Array.from({ length: 1 + Math.floor(Math.random() * 40) }, (_, i) => (i % 3 === 0 ? `"item-${i}"` : String(i * 1.5)));
  const doc = `{"items": [${items.join(', ')}], "ok": true, "owner": null}`;
  return Math.random() < errorRatio ? doc.slice(0, -1) : doc; // a truncated document is invalid
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  await exampleComponents(options.log ?? (() => {}));
  const metrics = createMetrics(options.config ?? DEMO_CONFIG);
  await metrics.ready().catch(async (error: Error) => {
    await metrics.shutdown(); // a port in use must not leave the other exporters running
    throw error;
  });
  metrics.collectDefaultMetrics();
  const host = new ComponentHost({
    metrics,
    components: metrics.config.components,
    recovery: options.componentRecovery ?? DEMO_COMPONENT_RECOVERY,
  });
  // Readiness says what the host does about a trapped tool; health re-instantiates only what the host will not.
  metrics.health?.watchComponents(host);
  const instances = {
    'json-tool': host.load(exampleComponent('json-tool')).instantiate('demo'),
    'cpu-tool': host.load(exampleComponent('cpu-tool')).instantiate('demo'),
  };
  // The flaky tool traps during incidents (built in the repository; an installed package lacks it).
  const flaky = existsSync(builtComponentDir('hostile')) ? host.load(exampleComponent('hostile')).instantiate('demo') : undefined;
  const calls = metrics.counter('tool_calls_total', {
    help: 'Tool calls by tool and outcome.',
    labelNames: ['tool_name', 'status'] as const,
  });
  const duration = metrics.timer('tool_execution_seconds', {
    help: 'Tool execution time, measured around the component call.',
    labelNames: ['tool_name'] as const,
    buckets: [0.00001, 0.0001, 0.001, 0.01, 0.1, 1],
  });
  const latencySummary = metrics.summary('tool_latency_seconds', {
    help: 'Tool latency quantiles over the last minute.',
    labelNames: ['tool_name'] as const,
    quantiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 60,
    ageBuckets: 5,
  });
  const inFlight = metrics.gauge('tool_calls_in_flight', { help: 'Tool calls currently running.' });

  const rate = options.rate ?? 20;
  const normalErrorRatio = options.errorRatio ?? 0.05;
  let errorRatio = normalErrorRatio;
  const incidents =
    options.incidents === false
      ? undefined
      : startIncidents({
          metrics,
          flaky,
          normalErrorRatio,
          setErrorRatio: (ratio) => void (errorRatio = ratio),
          log: options.log ?? (() => {}),
          ...options.incidents,
        });
  let ticks = 0;
  const timer = setInterval(() => {
    const tool = TOOLS[Math.floor(Math.random() * TOOLS.length)]!;
    inFlight.inc();
    const stop = duration.start({ tool_name: tool.name });
    let status = 'ok';
    try {
      const result =
        tool.component === 'json-tool'
          ? instances['json-tool'].call('count-values', randomDocument(errorRatio))
          : instances['cpu-tool'].call('fib', 10 + Math.floor(Math.random() * 12), 1);
      if (result === -1) status = 'error';
    } catch {
      status = 'error';
    }
    latencySummary.observe({ tool_name: tool.name }, stop());
    calls.inc({ tool_name: tool.name, status });
    inFlight.dec();
    if (incidents?.flaky && ++ticks % rate === 0) calls.inc({ tool_name: 'flaky', status: callFlaky(incidents.flaky) });
  }, 1000 / rate);

  return {
    metrics,
    async stop() {
      clearInterval(timer);
      incidents?.stop();
      host.close(); // no re-instantiation pending after stop
      await metrics.shutdown();
    },
  };
}

/**
 * The configuration `npm start` runs: OMNIMETER_CONFIG or omnimeter.config.*
 * if present, else DEMO_CONFIG. OMNIMETER_PORT applies to either (through
 * createMetrics, like everywhere).
 */
function demoConfig(): { config: MetricsConfigInput; source: string } {
  const file = process.env.OMNIMETER_CONFIG ?? CONFIG_FILES.find((f) => existsSync(f));
  if (file) return { config: loadConfig(), source: file };
  const host = process.env.OMNIMETER_HOST ?? '127.0.0.1';
  return {
    config: { ...DEMO_CONFIG, exporters: [{ type: 'prometheus', host, port: 9464, ingest: { origins: BROWSER_DEMO_ORIGINS } }] },
    source: 'embedded defaults',
  };
}

/** How to pick another port, naming the variable that set this one if any. */
function portHint(): string {
  const from = portFromEnvironment(process.env);
  return from
    ? `port ${from.port} comes from ${from.variable}: set ${from.variable} to a free port`
    : 'set OMNIMETER_PORT to a free port (it overrides the port of any configuration)';
}

export async function runDemo(): Promise<void> {
  const { config, source } = demoConfig();
  const demo = await startDemo({ config, log: (line) => console.log(line) }).catch((error: Error) => {
    const inUse = /EADDRINUSE/.test(error.message);
    throw new Error(inUse ? `${error.message}\n${portHint()}` : error.message, { cause: error });
  });
  const port = portFromEnvironment(process.env);
  const endpoints = demo.metrics.config.exporters.map((e) =>
    e.type === 'prometheus'
      ? `  prometheus  http://${e.host}:${e.port}${e.path}  (JSON: ${e.path}.json${e.ingest ? `; browser pages push to ${e.ingest.path}` : ''}${demo.metrics.health ? `; readiness ${demo.metrics.config.health!.readinessPath}, liveness ${demo.metrics.config.health!.livenessPath}` : ''})${port ? ` (port from ${port.variable})` : ''}`
      : `  ${e.type.padEnd(10)}  ${destination(e)}`,
  );
  console.log(`omnimeter demo: a simulated MCP tool server whose tools are WebAssembly components (config: ${source})
${endpoints.join('\n')}
  metrics are ${demo.metrics.enabled ? 'enabled' : 'DISABLED (set enabled: true or OMNIMETER_ENABLED=true)'}; Ctrl-C flushes every exporter and stops.`);
  const stop = async () => {
    await demo.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Where a push exporter sends, for the demo's banner. */
function destination(e: Exclude<ExporterConfig, { type: 'prometheus' }>): string {
  switch (e.type) {
    case 'json':
      return e.path;
    case 'otlp':
      return otlpEndpoint(e);
    case 'statsd':
      return `${e.protocol}://${e.host}:${e.port}`;
    case 'console':
      return e.format;
    default:
      return e.url;
  }
}
