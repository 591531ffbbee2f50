import type { PushExporter } from '../api/exporter.js';
import { consoleExporter } from './console.js';
import { jsonFileExporter } from './json-file.js';
import { otlpExporter } from './otlp.js';
import type { WorkerOptions } from './pipeline.js';
import { statsdExporter } from './statsd.js';
import { type PushConfig, workerOptions } from './worker-options.js';

export { ExportPipeline } from './pipeline.js';
export type { WorkerOptions, PipelineOptions } from './pipeline.js';

/** Builds the push exporter a config entry describes, and its worker settings. */
export function buildPushExporter(config: PushConfig, name: string): { exporter: PushExporter; options: WorkerOptions } {
  const options = workerOptions(config);
  switch (config.type) {
    case 'statsd':
      return { exporter: statsdExporter(config, name), options };
    case 'json':
      return { exporter: jsonFileExporter(config, name), options };
    case 'console':
      return { exporter: consoleExporter(config, name, config.stream === 'stderr' ? process.stderr : process.stdout), options };
    case 'otlp':
      return { exporter: otlpExporter(config, name), options };
  }
}
