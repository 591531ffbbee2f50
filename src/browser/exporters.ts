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
import { ConfigError } from '../config/errors.js';
import { parseConfig } from '../config/parse.js';
import { type MetricsConfig, parseDuration } from '../config/schema.js';
import { type ConsoleOutput, consoleExporter } from '../exporters/console.js';
import { otlpExporter } from '../exporters/otlp.js';
import { ExportPipeline } from '../exporters/pipeline.js';
import { exporterNamer, workerOptions } from '../exporters/worker-options.js';

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
  const refused = config.exporters.flatMap((e, i) =>
    e.type === 'statsd' || e.type === 'json'
      ? [
          `exporters[${i}].type: "${e.type}" cannot run in a browser (it needs ${e.type === 'statsd' ? 'UDP/TCP sockets' : 'a file system'}); use otlp, console or pushSnapshots to a collector's /ingest`,
        ]
      : [],
  );
  if (refused.length) throw new ConfigError('config', refused);
  const write = options.write ?? ((text: string) => console.info(text));
  const sink: ConsoleOutput = { isTTY: false, write: (text, done) => (write(text), done()) };
  const nameOf = exporterNamer();
  // Disabled (the default): no exporter built, no timer started.
  const push = config.enabled
    ? config.exporters.flatMap((e) => {
        if (e.type === 'console') return [{ exporter: consoleExporter(e, nameOf(e.type), sink), options: workerOptions(e) }];
        if (e.type === 'otlp') return [{ exporter: otlpExporter(e, nameOf(e.type)), options: workerOptions(e) }];
        return [];
      })
    : [];
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
    close: () => pipeline.close(),
  };
}
