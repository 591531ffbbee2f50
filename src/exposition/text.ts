/**
 * Prometheus text 0.0.4 and OpenMetrics 1.0.0 exposition of snapshots.
 *
 * The two formats differ in exactly these places:
 * - counters: OpenMetrics names the family without `_total` (samples keep it);
 *   0.0.4 names family and sample `x_total` so PromQL sees the same series;
 * - HELP escaping: OpenMetrics also escapes `"`;
 * - `# UNIT` and `_created` samples exist only in OpenMetrics;
 * - OpenMetrics ends with `# EOF`.
 *
 * Both translate OpenTelemetry names and attribute keys the same way
 * (prometheus-names.ts): `mcp.server.operation.duration` with unit `s` is
 * `mcp_server_operation_duration_seconds`.
 */
import type { CellReading } from '../api/backend.js';
import type { Exemplar, FamilySnapshot, SeriesSnapshot } from '../api/snapshot.js';
import { prometheusLabelName, prometheusNaming } from './prometheus-names.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Series rendered between two chances for the caller to yield. */
export const SERIES_PER_CHUNK = 64;

/** `String(n)` of 0…1023, the counts most samples hold: a lookup instead of a conversion per sample. */
const SMALL_INTEGERS = Array.from({ length: 1024 }, (_, i) => String(i));

/**
 * The same text as one flat string, in place: V8 flattens a rope (the
 * result of `+=`) when it converts it to a number. Copying a rope's
 * pieces (flattening) is most of a scrape's time; it is done once here,
 * where a join of ropes flattened each piece and then copied it again.
 */
export function flatten(text: string): string {
  (text as unknown as number) | 0;
  return text;
}

/** A sample value and the line's newline: one flat string (V8 copies joins shorter than 13 characters). */
export function valueLine(value: number): string {
  return formatValue(value) + '\n';
}

/** A sample value: shortest round-trip decimal, with the spellings both formats use for specials. */
export function formatValue(value: number): string {
  if ((value & 1023) === value) return SMALL_INTEGERS[value]!;
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

/**
 * Canonical float for `le` and `quantile` label values, as the Go and Python
 * clients write them: `1.0`, `0.25`, `1e+06`, `1e-05`, `+Inf`. Dashboards
 * match these strings literally, so there is exactly one spelling per value.
 */
export function canonicalFloat(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  const plain = String(value);
  return plain.includes('.') ? plain : `${plain}.0`;
}

const LABEL_ESCAPES = /[\\"\n]/;

export function escapeLabelValue(value: string): string {
  if (!LABEL_ESCAPES.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function escapeHelp(help: string, format: ExpositionFormat): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}

/**
 * A series' label text as samples open it: `{a="x",b="y"` (the renderer
 * closes it), "" without labels. For snapshots from anywhere (exporters,
 * guests' engines); scrapes of the registry use LabelLayout's cached text.
 */
export function labelText(series: Pick<SeriesSnapshot, 'labels'>): string {
  let text = '';
  for (const [name, value] of exposedLabels(series.labels)) text += `${text ? ',' : '{'}${name}="${escapeLabelValue(value)}"`;
  return text;
}

/** Whether every name is already a Prometheus label name (no OpenTelemetry translation, no merging). */
export function plainLabelNames(names: readonly string[]): boolean {
  return names.every((n) => prometheusLabelName(n) === n);
}

/**
 * Label pairs with attribute keys as Prometheus label names. Keys that
 * translate alike (`a.b` and `a_b`) become one label whose values are joined
 * with `;` in the lexicographical order of the original keys, as the
 * OpenTelemetry specification requires.
 */
export function exposedLabels(labels: SeriesSnapshot['labels']): readonly (readonly [string, string])[] {
  let plain = true;
  for (const [name] of labels) if (prometheusLabelName(name) !== name) plain = false;
  if (plain) return labels;
  const merged = new Map<string, [string, string][]>();
  for (const [name, value] of labels) {
    const exposed = prometheusLabelName(name);
    const group = merged.get(exposed);
    if (group) group.push([name, value]);
    else merged.set(exposed, [[name, value]]);
  }
  return [...merged].map(([exposed, group]) => [
    exposed,
    group
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v)
      .join(';'),
  ]);
}

/**
 * An OpenMetrics exemplar (` # {trace_id="…",span_id="…"} value timestamp`),
 * "" for none. 0.0.4 has no exemplars: the specification's "Exemplars MUST be
 * dropped if they are not supported".
 */
function exemplarText(exemplar: Exemplar | undefined): string {
  if (exemplar === undefined) return '';
  return ` # {trace_id="${exemplar.traceId}",span_id="${exemplar.spanId}"} ${formatValue(exemplar.value)} ${formatValue(exemplar.timeMs / 1000)}`;
}

/**
 * Renders one family: its metadata (`head`) and then its series in any
 * number of batches (`series`), so a caller can read and render a large
 * family a chunk at a time and yield to the event loop in between.
 */
export class FamilyRenderer {
  /** `# HELP`, `# TYPE` and (OpenMetrics) `# UNIT` lines. */
  readonly head: string;
  readonly om: boolean;
  readonly name: string;
  /** `le="0.5"} ` per bucket (and `quantile="0.5"} ` per quantile): what follows a series' own labels. */
  readonly les: readonly string[];
  readonly qs: readonly string[];
  readonly negativeBuckets: boolean;
  /** Sample names with their suffixes, joined once per scrape rather than once per series. */
  readonly total: string;
  readonly bucket: string;
  readonly count: string;
  readonly sum: string;

  constructor(
    readonly family: FamilySnapshot,
    format: ExpositionFormat,
  ) {
    const om = format === 'openmetrics';
    const naming = prometheusNaming(family.name, family.unit, family.type, family.additive);
    const name = naming.name;
    const metaName = family.type === 'counter' && !om ? `${name}_total` : name;
    let head = `# HELP ${metaName} ${escapeHelp(family.help, format)}\n# TYPE ${metaName} ${family.type}\n`;
    if (om && naming.unit) head += `# UNIT ${metaName} ${naming.unit}\n`;
    this.head = head;
    this.om = om;
    this.name = name;
    this.les = family.buckets ? [...family.buckets.map((b) => `le="${canonicalFloat(b)}"} `), 'le="+Inf"} '] : [];
    this.qs = family.quantiles ? family.quantiles.map((q) => `quantile="${canonicalFloat(q)}"} `) : [];
    this.negativeBuckets = (family.buckets ?? []).some((b) => b < 0);
    this.total = `${name}_total`;
    this.bucket = `${name}_bucket`;
    this.count = `${name}_count`;
    this.sum = `${name}_sum`;
  }

  /** The samples of `batch`, series of this family. */
  series(batch: Iterable<SeriesSnapshot>): string {
    let out = '';
    for (const series of batch) out += this.sample(labelText(series), series, series.createdMs, series.exemplars);
    return out;
  }

  /**
   * The samples of one series whose label text, opened (`{a="x",b="y"`, "" for none), is `open`:
   * its cell's reading, creation time and exemplars, passed apart so a
   * scrape builds no snapshot object per series.
   */
  sample(open: string, series: CellReading, createdMs: number | undefined, exemplars: SeriesSnapshot['exemplars']): string {
    // Every string joined here is a node the final flattening walks (most of
    // a scrape's time): pieces are grouped so that short ones (`} 5\n`) are
    // copied flat instead of adding a node, and small counts come from a table.
    const { om, name, les } = this;
    const close = open ? '} ' : ' ';
    const created = om && createdMs !== undefined ? `${name}_created${open}${close}${valueLine(createdMs / 1000)}` : '';
    switch (this.family.type) {
      case 'counter':
        if (om && exemplars?.[0])
          return `${this.total}${open}${close}${formatValue(series.value ?? 0)}${exemplarText(exemplars[0])}\n${created}`;
        return this.total + open + (close + valueLine(series.value ?? 0)) + created;
      case 'gauge':
        return name + open + (close + valueLine(series.value ?? 0));
      case 'histogram': {
        const counts = series.bucketCounts ?? [];
        const head = open ? this.bucket + open + ',' : `${this.bucket}{`;
        let cumulative = 0;
        let out = '';
        const withExemplars = om && exemplars !== undefined;
        for (let i = 0; i < les.length; i++) {
          cumulative += counts[i] ?? 0;
          out += withExemplars
            ? head + les[i] + formatValue(cumulative) + exemplarText(exemplars[i]) + '\n'
            : head + les[i] + valueLine(cumulative);
        }
        // OpenMetrics makes _sum a counter: with negative buckets or a negative
        // sum it must be left out, and _count goes with it.
        if (!om || (!this.negativeBuckets && (series.sum ?? 0) >= 0)) out += this.countAndSum(open, close, series);
        return out + created;
      }
      case 'summary': {
        const values = series.quantileValues ?? [];
        const head = open ? `${name}${open},` : `${name}{`;
        let out = '';
        for (let i = 0; i < this.qs.length; i++) out += head + this.qs[i] + valueLine(values[i] ?? NaN);
        return out + this.countAndSum(open, close, series) + created;
      }
    }
  }

  private countAndSum(open: string, close: string, series: CellReading): string {
    return this.count + open + (close + valueLine(series.count ?? 0)) + this.sum + open + (close + valueLine(series.sum ?? 0));
  }
}

/** Renders one family's metadata and samples in chunks of a few hundred series. */
function* renderFamily(family: FamilySnapshot, format: ExpositionFormat): Generator<string> {
  const renderer = new FamilyRenderer(family, format);
  const all = family.series;
  if (all.length <= SERIES_PER_CHUNK) {
    yield renderer.head + renderer.series(all);
    return;
  }
  yield renderer.head;
  for (let i = 0; i < all.length; i += SERIES_PER_CHUNK) yield renderer.series(all.slice(i, i + SERIES_PER_CHUNK));
}

/** The OpenMetrics terminator; 0.0.4 has none. */
export function expositionEnd(format: ExpositionFormat): string {
  return format === 'openmetrics' ? '# EOF\n' : '';
}

/** The exposition as a sequence of chunks: a caller may yield to the event loop between them. */
export function* renderChunks(families: Iterable<FamilySnapshot>, format: ExpositionFormat): Generator<string> {
  for (const family of families) yield* renderFamily(family, format);
  const end = expositionEnd(format);
  if (end) yield end;
}

export function render(families: Iterable<FamilySnapshot>, format: ExpositionFormat): string {
  let out = '';
  for (const chunk of renderChunks(families, format)) out += chunk;
  return out;
}
