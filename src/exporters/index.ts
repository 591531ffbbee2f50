import type { PushExporter } from '../api/exporter.js';
import { type ExporterConfig, parseDuration } from '../config/schema.js';
import { consoleExporter } from './console.js';
import { jsonFileExporter } from './json-file.js';
import { otlpExporter } from './otlp.js';
import type { WorkerOptions } from './pipeline.js';
import { statsdExporter } from './statsd.js';

export { ExportPipeline } from './pipeline.js';
export type { WorkerOptions, PipelineOptions } from './pipeline.js';

type PushConfig = Exclude<ExporterConfig, { type: 'prometheus' }>;

/** Builds the push exporter a config entry describes, and its worker settings. */
export function buildPushExporter(config: PushConfig, name: string): { exporter: PushExporter; options: WorkerOptions } {
  const options: WorkerOptions = {
    maxQueue: config.maxQueue,
    initialBackoffMs: parseDuration(config.retry.initialBackoff)!,
    maxBackoffMs: parseDuration(config.retry.maxBackoff)!,
    timeoutMs: config.type === 'otlp' ? parseDuration(config.timeout)! + 1000 : 30_000,
  };
  switch (config.type) {
    case 'statsd':
      return { exporter: statsdExporter(config, name), options };
    case 'json':
      return { exporter: jsonFileExporter(config, name), options };
    case 'console':
      return { exporter: consoleExporter(config, name), options };
    case 'otlp':
      return { exporter: otlpExporter(config, name), options };
  }
}
