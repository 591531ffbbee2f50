/**
 * The one place exporter types meet their implementations: each platform
 * gives a table from push-exporter type to a factory, or to the reason it
 * cannot run there, and `buildPushExporters` turns a configuration's
 * exporters into pipeline workers through it. Adding an exporter type is a
 * schema entry and a table row.
 */
import type { PushExporter } from '../api/exporter.js';
import { ConfigError } from '../config/errors.js';
import type { ExporterConfig } from '../config/schema.js';
import type { WorkerOptions } from './pipeline.js';
import { type PushConfig, exporterNamer, workerOptions } from './worker-options.js';

export type PushType = PushConfig['type'];

type Factory<T extends PushType> = (config: Extract<PushConfig, { type: T }>, name: string) => PushExporter;

/** Every push type, with its factory on this platform or why it cannot run here. */
export type ExporterTable = { readonly [T in PushType]: Factory<T> | { readonly unavailable: string } };

export interface PushWorker {
  exporter: PushExporter;
  options: WorkerOptions;
}

/**
 * The pipeline workers for `exporters` (pull endpoints such as prometheus
 * are not push exporters and are skipped). An entry the table cannot run is
 * a ConfigError naming its path, listing every such entry.
 */
export function buildPushExporters(exporters: readonly ExporterConfig[], table: ExporterTable, platform = 'this platform'): PushWorker[] {
  const refused = exporters.flatMap((e, i) => {
    const row = e.type === 'prometheus' ? undefined : table[e.type];
    return row && 'unavailable' in row ? [`exporters[${i}].type: "${e.type}" cannot run in ${platform} (${row.unavailable})`] : [];
  });
  if (refused.length) throw new ConfigError('config', refused);
  const nameOf = exporterNamer();
  return exporters.flatMap((e) => {
    if (e.type === 'prometheus') return [];
    const factory = table[e.type] as Factory<typeof e.type>;
    return [{ exporter: factory(e, nameOf(e.type)), options: workerOptions(e) }];
  });
}
