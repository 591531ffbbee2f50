/** The JSON exporter's failure paths (issue 10): a failed write leaves no temporary file behind. */
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { jsonFileExporter } from '../../src/exporters/json-file.js';

describe('json exporter, snapshot mode', () => {
  it('removes its temporary file when the write fails (one orphaned .tmp per failed write before)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-json-fail-'));
    const target = join(dir, 'metrics.json');
    mkdirSync(target); // rename onto a directory fails: every export fails after writing its temporary file
    const config = parseConfig({ exporters: [{ type: 'json', path: target }] }).exporters[0] as Parameters<typeof jsonFileExporter>[0];
    const exporter = jsonFileExporter(config);
    for (let i = 0; i < 3; i++) await expect(exporter.export({ families: [], timeMs: Date.now() })).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['metrics.json']);
  });
});
