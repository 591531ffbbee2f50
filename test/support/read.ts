import type { Metrics } from '../../src/api/metrics.js';
import type { FamilySnapshot, SeriesSnapshot } from '../../src/api/snapshot.js';

export async function family(metrics: Metrics, name: string): Promise<FamilySnapshot> {
  const found = (await metrics.registry.collect()).find((f) => f.name === name);
  if (!found) throw new Error(`no family ${name}`);
  return found;
}

export function labelsOf(series: SeriesSnapshot): Record<string, string> {
  return Object.fromEntries(series.labels);
}

/** The one series whose labels include `labels`. */
export async function series(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<SeriesSnapshot> {
  const f = await family(metrics, name);
  const matches = f.series.filter((s) => Object.entries(labels).every(([k, v]) => labelsOf(s)[k] === v));
  if (matches.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${matches.length} matching series`);
  return matches[0]!;
}

export async function value(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return (await series(metrics, name, labels)).value;
}

/** The first series whose labels include `labels`, if any (where several may match). */
export async function find(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<SeriesSnapshot | undefined> {
  const f = (await metrics.registry.collect()).find((x) => x.name === name);
  return f?.series.find((s) => Object.entries(labels).every(([k, v]) => labelsOf(s)[k] === v));
}
