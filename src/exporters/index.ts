import { consoleExporter } from './console.js';
import { jsonFileExporter } from './json-file.js';
import { otlpExporter } from './otlp.js';
import { statsdExporter } from './statsd.js';
import type { ExporterTable } from './table.js';

export { ExportPipeline } from './pipeline.js';
export type { WorkerOptions, PipelineOptions, Undelivered } from './pipeline.js';
export { buildPushExporters, type ExporterTable, type PushWorker } from './table.js';

/** Every push exporter runs in Node. */
export const NODE_EXPORTERS: ExporterTable = {
  statsd: statsdExporter,
  json: jsonFileExporter,
  console: (config, name) => consoleExporter(config, name, config.stream === 'stderr' ? process.stderr : process.stdout),
  otlp: otlpExporter,
};
