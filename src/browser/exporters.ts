/**
 * `omnimeter/browser/exporters`: the configuration users write for Node,
 * applied in a page. It is validated by the same schema (errors name the
 * path and value) and runs the exporters a page can run on the same
 * pipeline as Node: console (to the browser console or a callback) and
 * OTLP/HTTP (fetch). A prometheus entry has no server to open in a page; it
 * names the exposition format the page shows (`exposition`). statsd and json
 * need sockets and files: they are refused with a ConfigError.
 */
import type { Metrics } from '../api/metrics.js';
import { enableExemplars, enableNativeHistograms } from '../core/enable.js';
import { parseConfig } from '../config/parse.js';
import { type MetricsConfig, parseDuration } from '../config/schema.js';
import { type ConsoleOutput, consoleExporter } from '../exporters/console.js';
import { otlpExporter } from '../exporters/otlp.js';
import { pushgatewayExporter } from '../exporters/pushgateway.js';
import { remoteWriteExporter } from '../exporters/remote-write.js';
import { ExportPipeline } from '../exporters/pipeline.js';
import { type ExporterTable, buildPushExporters } from '../exporters/table.js';

// What these exporters carry and `omnimeter/browser` leaves out (core/features.ts): native histograms, exemplars.
enableNativeHistograms();
enableExemplars();

export interface PageExporterOptions {
  /** Where console exporters write; default console.info. */
  write?: (text: string) => void;
  /** Failure reports of the pipeline; default console.warn. */
  warn?: (message: string) => void;
}

export interface PageExporters {
  readonly config: MetricsConfig;
  /** The format of the config's prometheus entry (what a scrape would get), if it has one. */
  readonly exposition: 'openmetrics' | 'prometheus' | undefined;
  /** How many push exporters run. */
  readonly size: number;
  /** Collects now and waits for every exporter. */
  flush(): Promise<void>;
  /** Final collection, delivered, then stopped. */
  close(): Promise<void>;
}

export function startPageExporters(metrics: Metrics, input: unknown, options: PageExporterOptions = {}): PageExporters {
  const config = parseConfig(input);
  const write = options.write ?? ((text: string) => console.info(text));
  const sink: ConsoleOutput = { isTTY: false, write: (text, done) => (write(text), done()) };
  const instead = "use otlp, console or pushSnapshots to a collector's /ingest";
  const table: ExporterTable = {
    console: (e, name) => consoleExporter(e, name, sink),
    otlp: otlpExporter,
    'remote-write': remoteWriteExporter,
    pushgateway: pushgatewayExporter,
    statsd: { unavailable: `it needs UDP/TCP sockets; ${instead}` },
    json: { unavailable: `it needs a file system; ${instead}` },
  };
  const all = buildPushExporters(config.exporters, table, 'a browser'); // refuses statsd and json even when disabled
  // Disabled (the default): no exporter built, no timer started.
  const push = config.enabled ? all : [];
  const pipeline = new ExportPipeline(() => metrics.registry.collect(), push, metrics, {
    intervalMs: parseDuration(config.collectionInterval)!,
    warn: options.warn,
  });
  pipeline.start();
  const prometheus = config.exporters.find((e) => e.type === 'prometheus');
  return {
    config,
    exposition: prometheus ? (prometheus.format === 'prometheus' ? 'prometheus' : 'openmetrics') : undefined,
    size: pipeline.size,
    flush: () => pipeline.flush(),
    close: async () => void (await pipeline.close()),
  };
}
