/**
 * Console exporter for development: a table (counters with their rate since
 * the previous print, gauges, histogram and summary quantiles), or logfmt or
 * JSON lines for log pipelines. Colours only on a TTY unless configured.
 */
import type { ExportBatch, PushExporter } from '../api/exporter.js';
import type { FamilySnapshot, SeriesSnapshot } from '../api/snapshot.js';
import type { ExporterConfig } from '../config/schema.js';
import { DeltaTracker } from '../core/delta.js';
import { bucketQuantile } from '../exposition/quantile.js';

type ConsoleConfig = Extract<ExporterConfig, { type: 'console' }>;

/** logfmt value: bare when safe, otherwise quoted with \ and " escaped. */
export function logfmtValue(value: string): string {
  if (value !== '' && !/[\s"=\\]/.test(value) && /^[\x21-\x7e]*$/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const num = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? 'NaN' : Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');

function describe(f: FamilySnapshot, s: SeriesSnapshot, delta: SeriesSnapshot, seconds: number): Record<string, string> {
  switch (f.type) {
    case 'counter':
      return { value: num(s.value), rate: `${num((delta.value ?? 0) / seconds)}/s` };
    case 'gauge':
      return { value: num(s.value) };
    case 'histogram': {
      const b = f.buckets ?? [];
      const c = s.bucketCounts ?? [];
      return {
        count: num(s.count),
        sum: num(s.sum),
        p50: num(bucketQuantile(0.5, b, c)),
        p90: num(bucketQuantile(0.9, b, c)),
        p99: num(bucketQuantile(0.99, b, c)),
      };
    }
    case 'summary':
      return {
        count: num(s.count),
        sum: num(s.sum),
        ...Object.fromEntries((f.quantiles ?? []).map((q, i) => [`q${q}`, num(s.quantileValues?.[i])])),
      };
  }
}

/** Where the text goes: process.stdout/stderr in Node, a callback in a page. */
export interface ConsoleOutput {
  write(text: string, done: (error?: Error | null) => void): unknown;
  isTTY?: boolean;
}

export function consoleExporter(config: ConsoleConfig, name: string, out: ConsoleOutput): PushExporter {
  const colors = config.colors === 'always' || (config.colors === 'auto' && out.isTTY === true);
  const paint = (code: number, text: string) => (colors ? `\x1b[${code}m${text}\x1b[0m` : text);
  const deltas = new DeltaTracker();
  let lastMs: number | undefined;
  return {
    name,
    async export(batch: ExportBatch) {
      const diff = deltas.diff(batch.families, batch.timeMs);
      const seconds = Math.max(0.001, (batch.timeMs - (lastMs ?? batch.timeMs - 1000)) / 1000);
      const rows: { metric: string; type: string; pairs: SeriesSnapshot['labels']; labels: string; fields: Record<string, string> }[] = [];
      batch.families.forEach((f, fi) =>
        f.series.forEach((s, si) => {
          rows.push({
            metric: f.type === 'counter' ? `${f.name}_total` : f.name,
            type: f.type,
            pairs: s.labels,
            labels: s.labels.map(([k, v]) => `${k}=${v}`).join(','),
            fields: describe(f, s, diff.families[fi]!.series[si]!, seconds),
          });
        }),
      );
      let text = '';
      const time = new Date(batch.timeMs).toISOString();
      if (config.format === 'json') {
        for (const r of rows)
          text += `${JSON.stringify({ time, metric: r.metric, type: r.type, labels: Object.fromEntries(r.pairs), ...r.fields })}\n`;
      } else if (config.format === 'logfmt') {
        for (const r of rows) {
          text += `time=${time} metric=${r.metric} type=${r.type}`;
          for (const [k, v] of r.pairs) text += ` ${k}=${logfmtValue(v)}`;
          for (const [k, v] of Object.entries(r.fields)) text += ` ${k}=${logfmtValue(v)}`;
          text += '\n';
        }
      } else {
        const widths = [6, 4, 6].map((w, i) => Math.max(w, ...rows.map((r) => [r.metric, r.type, r.labels][i]!.length)));
        text += paint(1, `── omnimeter ${time} ${'─'.repeat(20)}\n`);
        text += paint(2, `${'metric'.padEnd(widths[0]!)}  ${'type'.padEnd(widths[1]!)}  ${'labels'.padEnd(widths[2]!)}  values\n`);
        for (const r of rows) {
          const values = Object.entries(r.fields)
            .map(([k, v]) => `${paint(2, `${k}=`)}${paint(36, v)}`)
            .join(' ');
          text += `${paint(1, r.metric.padEnd(widths[0]!))}  ${r.type.padEnd(widths[1]!)}  ${r.labels.padEnd(widths[2]!)}  ${values}\n`;
        }
      }
      await new Promise<void>((resolve, reject) => out.write(text, (error) => (error ? reject(error) : resolve())));
      diff.commit();
      lastMs = batch.timeMs;
      return new TextEncoder().encode(text).length; // no Buffer: runs in pages too
    },
  };
}
