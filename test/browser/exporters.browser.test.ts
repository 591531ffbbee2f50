/**
 * The configuration users write, applied in a page (Chromium): validated by
 * the same schema, console exporters on the same pipeline, refusals that
 * name the path.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/browser/index.js';
import { startPageExporters } from '../../src/browser/exporters.js';

describe('startPageExporters', () => {
  it('runs a console exporter from the config and delivers the final collection on close', async () => {
    const metrics = createMetrics();
    const clicks = metrics.counter('clicks_total', { help: 'Clicks', labelNames: ['button'] as const });
    const out: string[] = [];
    const exporters = startPageExporters(
      metrics,
      {
        enabled: true,
        collectionInterval: '1h',
        exporters: [
          { type: 'console', format: 'logfmt' },
          { type: 'prometheus', format: 'prometheus' },
        ],
      },
      { write: (t) => out.push(t) },
    );
    expect(exporters.size).toBe(1);
    expect(exporters.exposition).toBe('prometheus');
    clicks.inc({ button: 'buy' }, 3);
    await exporters.flush();
    expect(out.join('')).toMatch(/^time=\S+ metric=clicks_total type=counter button=buy value=3 rate=/m);
    clicks.inc({ button: 'buy' }, 2);
    await exporters.close();
    expect(out.at(-1)).toMatch(/metric=clicks_total type=counter button=buy value=5 /);
  });

  it('starts nothing while the config is not enabled (the default)', async () => {
    const out: string[] = [];
    const exporters = startPageExporters(createMetrics(), { exporters: [{ type: 'console' }] }, { write: (t) => out.push(t) });
    expect(exporters.size).toBe(0);
    await exporters.close();
    expect(out).toEqual([]);
  });

  it('refuses exporters a page cannot run, and bad values, naming the path', () => {
    const metrics = createMetrics();
    expect(() => startPageExporters(metrics, { enabled: true, exporters: [{ type: 'console' }, { type: 'statsd' }] })).toThrowError(
      /exporters\[1\]\.type: "statsd" cannot run in a browser/,
    );
    expect(() => startPageExporters(metrics, { enabled: true, exporters: [{ type: 'console', format: 'yaml' }] })).toThrowError(
      /exporters\[0\]\.format: expected "table", "logfmt" or "json", got "yaml"/,
    );
  });
});
