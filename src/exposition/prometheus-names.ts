/**
 * OpenTelemetry names in Prometheus and OpenMetrics, as the OpenTelemetry
 * specification's "Prometheus and OpenMetrics Compatibility" document says
 * (v1.60.0, section "OTLP Metric points to Prometheus"):
 *
 * - discouraged characters in metric names become `_`, runs of `_` collapse
 *   into one; attribute keys the same, and a leading digit gets `key_`;
 * - the UCUM unit becomes the Prometheus unit word of the spec's table,
 *   `{annotations}` are dropped, `a/b` becomes `a_per_b`, and the word is
 *   appended to the name unless the name already ends with it;
 * - monotonic sums (counters) get `_total` (on samples; OpenMetrics names the
 *   family without it).
 *
 * Where the specification is silent or this library must stay compatible:
 * names that are already valid Prometheus names pass unchanged (today's
 * API), and unit `1` becomes `_ratio` on gauges only, as Prometheus' own OTLP
 * translator (prometheus/otlptranslator) does; v1.60.0 dropped the general
 * `1` → `ratio` rule (counters and histograms with unit `1` get no suffix).
 */
import type { MetricType } from '../api/snapshot.js';

/** The specification's table: UCUM abbreviation → Prometheus unit word. */
export const UCUM_UNITS: Readonly<Record<string, string>> = Object.freeze({
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  kBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
});

/** "per" units of rates (`By/s` → `bytes_per_second`), as Prometheus' translator spells them. */
const PER_UNITS: Readonly<Record<string, string>> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

const UCUM = new Map(Object.entries(UCUM_UNITS));
const PER = new Map(Object.entries(PER_UNITS));
const WORD_TO_UCUM = new Map([...Object.entries(UCUM_UNITS).map(([ucum, word]) => [word, ucum] as const), ['ratio', '1']]);

const PROM_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const PROM_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * True for the Prometheus unit words of today's API (`seconds`, `bytes`,
 * `ratio`, ...): such a unit must already be the suffix of the name.
 */
export function isUnitWord(unit: string): boolean {
  return WORD_TO_UCUM.has(unit);
}

/** The unit for OTLP: a Prometheus word becomes its UCUM abbreviation; UCUM stays as written. */
export function ucumUnit(unit: string): string {
  return WORD_TO_UCUM.get(unit) ?? unit;
}

function clean(text: string): string {
  return text
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * The Prometheus unit word for a unit (a word, or UCUM), "" for none.
 * `additive` gauges are UpDownCounters: sums, not ratios.
 */
export function prometheusUnit(unit: string, type: MetricType, additive = false): string {
  if (unit === '') return '';
  if (isUnitWord(unit)) return unit;
  if (unit === '1') return type === 'gauge' && !additive ? 'ratio' : '';
  const [main = '', per] = unit.replace(/\{[^}]*\}/g, '').split('/', 2);
  const mainUnit = main.trim();
  const mainWord = mainUnit === '1' ? '' : (UCUM.get(mainUnit) ?? mainUnit);
  const perUnit = per?.trim();
  const perWord = perUnit ? `per_${PER.get(perUnit) ?? UCUM.get(perUnit) ?? perUnit}` : '';
  return clean(mainWord && perWord ? `${mainWord}_${perWord}` : mainWord || perWord);
}

/** A metric name with discouraged characters replaced; valid Prometheus names pass unchanged. */
export function escapeMetricName(name: string): string {
  return PROM_METRIC.test(name) ? name : name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
}

const labelNames = new Map<string, string>();

/** An attribute key as a Prometheus label name (`gen_ai.tool.name` → `gen_ai_tool_name`). */
export function prometheusLabelName(key: string): string {
  if (PROM_LABEL.test(key)) return key;
  let out = labelNames.get(key);
  if (out === undefined) {
    out = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_{2,}/g, '_');
    if (/^[0-9]/.test(out)) out = `key_${out}`;
    if (labelNames.size > 10_000) labelNames.clear(); // bounded: keys come from code, but be safe
    labelNames.set(key, out);
  }
  return out;
}

export interface PrometheusNaming {
  /** Family name: counters without `_total` (OpenMetrics family naming). */
  readonly name: string;
  /** The `# UNIT` word, "" for none. */
  readonly unit: string;
}

const namings = new Map<string, PrometheusNaming>();

/** How a metric (name as written, unit as given) is named in Prometheus and OpenMetrics. Memoized. */
export function prometheusNaming(name: string, unit: string, type: MetricType, additive = false): PrometheusNaming {
  const key = `${type}${additive ? '+' : ''}\u0000${unit}\u0000${name}`;
  let naming = namings.get(key);
  if (naming === undefined) {
    let base = escapeMetricName(name);
    if (type === 'counter' && base.endsWith('_total') && base.length > '_total'.length) base = base.slice(0, -'_total'.length);
    const word = prometheusUnit(unit, type, additive);
    if (word && base !== word && !base.endsWith(`_${word}`)) base = `${base}_${word}`;
    // OpenMetrics requires a family with a UNIT to end in `_<unit>`: a metric named
    // just its unit ("bytes" in By) keeps its name and goes without the UNIT line.
    naming = Object.freeze({ name: base, unit: base.endsWith(`_${word}`) ? word : '' });
    if (namings.size > 10_000) namings.clear();
    namings.set(key, naming);
  }
  return naming;
}
