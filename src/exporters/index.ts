import { consoleExporter } from './console.js';
import { jsonFileExporter } from './json-file.js';
import { otlpEndpoint, otlpExporter } from './otlp.js';
import { grpcTransport } from './otlp-grpc.js';
import { pushgatewayExporter } from './pushgateway.js';
import { remoteWriteExporter } from './remote-write.js';
import { statsdExporter } from './statsd.js';
import type { ExporterTable } from './table.js';

export { ExportPipeline } from './pipeline.js';
export type { WorkerOptions, PipelineOptions, Undelivered } from './pipeline.js';
export { buildPushExporters, type ExporterTable, type PushWorker } from './table.js';

/** Every push exporter runs in Node; OTLP also over gRPC (@grpc/grpc-js, loaded on first export). */
export const NODE_EXPORTERS: ExporterTable = {
  statsd: statsdExporter,
  json: jsonFileExporter,
  console: (config, name) => consoleExporter(config, name, config.stream === 'stderr' ? process.stderr : process.stdout),
  otlp: (config, name) =>
    otlpExporter(config, name, config.protocol === 'grpc' ? grpcTransport(otlpEndpoint(config), config.headers) : undefined),
  'remote-write': remoteWriteExporter,
  pushgateway: pushgatewayExporter,
};
