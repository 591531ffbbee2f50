/**
 * An upper bound of the bytes one pushed series adds to a scrape, in either
 * text format, computed before anything is merged: a source's budget is
 * charged with it, so what a source can make every later scrape carry is
 * bounded without rendering anything. test/ingest checks the bound against
 * real expositions.
 */
import type { JsonFamily, JsonSeries } from '../exposition/json.js';

/** A sample's value with its separator and newline: the longest float is 24 characters. */
const VALUE = 26;
/** `,le="<canonical float>"` on a bucket line. */
const LE = 30;
/** The longest sample suffix (`_created`, `_bucket`) and the unit word exposition may append. */
const suffix = (family: Pick<JsonFamily, 'unit'>) => 16 + 2 * family.unit.length;

/** UTF-8 bytes of `text` once escaped for a label value or HELP (`\`, `"`, newline take two). */
export function escapedBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c || c === 0x22 || c === 0x0a) bytes += 2;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else bytes += 3; // a surrogate half is at most 2 (4 per pair); a lone one becomes U+FFFD, 3
  }
  return bytes;
}

/** One sample line's name and labels, without the value. Names translate to ASCII of at most their length. */
function lineHead(family: Pick<JsonFamily, 'name' | 'unit'>, series: JsonSeries, hostLabelBytes: number): number {
  let labels = hostLabelBytes + 2;
  for (const [name, value] of Object.entries(series.labels)) labels += name.length + 4 + escapedBytes(value);
  return family.name.length + suffix(family) + labels;
}

/** HELP, TYPE and UNIT lines of a family. */
export function familyCost(family: Pick<JsonFamily, 'name' | 'unit' | 'help'>): number {
  const meta = family.name.length + suffix(family) + 16;
  return 3 * meta + escapedBytes(family.help) + escapedBytes(family.unit);
}

/** One series' sample lines. Summaries are never merged, so they cost nothing here. */
export function seriesCost(
  family: Pick<JsonFamily, 'name' | 'unit' | 'type' | 'buckets'>,
  series: JsonSeries,
  hostLabelBytes: number,
): number {
  const line = lineHead(family, series, hostLabelBytes) + VALUE;
  switch (family.type) {
    case 'counter':
      return 2 * line; // _total and _created
    case 'gauge':
      return line;
    case 'histogram':
      return ((family.buckets?.length ?? 0) + 1) * (line + LE) + 3 * line; // buckets, _count, _sum, _created
    case 'summary':
      return 0;
  }
}
