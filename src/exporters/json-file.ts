/**
 * JSON exporter: the documented snapshot (docs/snapshot.schema.json) written
 * atomically (temp file + rename, so readers never see half a file), or
 * appended as NDJSON with size-based rotation (path.1 newest, path.N oldest).
 */
import { appendFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ExportBatch, PushExporter } from '../api/exporter.js';
import type { ExporterConfig } from '../config/schema.js';
import { toJsonSnapshot } from '../exposition/json.js';

type JsonConfig = Extract<ExporterConfig, { type: 'json' }>;

async function size(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function rotate(path: string, maxFiles: number): Promise<void> {
  await rm(`${path}.${maxFiles}`, { force: true });
  for (let i = maxFiles - 1; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => {});
  await rename(path, `${path}.1`).catch(() => {});
}

export function jsonFileExporter(config: JsonConfig, name = 'json'): PushExporter {
  let counter = 0;
  return {
    name,
    async export(batch: ExportBatch) {
      await mkdir(dirname(config.path), { recursive: true });
      const snapshot = toJsonSnapshot(batch.families, batch.timeMs);
      if (config.mode === 'snapshot') {
        const body = `${JSON.stringify(snapshot, null, 2)}\n`;
        const temp = `${config.path}.${process.pid}.${++counter}.tmp`;
        try {
          await writeFile(temp, body);
          await rename(temp, config.path);
        } catch (error) {
          await rm(temp, { force: true }); // a failed write leaves no orphan behind
          throw error;
        }
        return Buffer.byteLength(body);
      }
      const line = `${JSON.stringify(snapshot)}\n`;
      const bytes = Buffer.byteLength(line);
      if ((await size(config.path)) > 0 && (await size(config.path)) + bytes > config.maxBytes) await rotate(config.path, config.maxFiles);
      await appendFile(config.path, line);
      return bytes;
    },
  };
}
