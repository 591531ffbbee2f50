/**
 * Rendered text of series that have not changed since the last scrape.
 *
 * A series' samples are a pure function of its label text (fixed for the
 * series object), its cell's reading and its creation time. The cache keeps,
 * per series, the numbers its text was rendered from and the text; a scrape
 * reads the cell as always and, when every number is the same, appends the
 * kept text instead of rendering ~14 lines of a histogram again. Nothing is
 * done when recording: unchanged is decided by comparing readings, so the
 * hot path pays nothing for it.
 *
 * Memory is bounded twice: only families of at most MAX_CACHED_SERIES series
 * are cached (a 100k-series family would double its memory), and one
 * registry's caches hold at most TextCacheBudget.limit characters (entries
 * are refused past it, never evicted: a refused series is rendered as usual).
 */
import type { CellReading } from '../api/backend.js';
import { type ExpositionFormat, type FamilyRenderer, flatten, valueLine } from './text.js';

/** Families with more series than this are rendered without a text cache. */
export const MAX_CACHED_SERIES = 2_000;

/** Rough heap bytes of one entry besides its text and prefixes (Map slot, entry object, copied numbers). */
const ENTRY_OVERHEAD = 96;

/** The characters (plus entry overhead) all caches of one registry may hold. */
export class TextCacheBudget {
  used = 0;
  constructor(readonly limit = 8 * 2 ** 20) {}
}

/**
 * What one series' text was rendered from, and the text. Updated in place:
 * an entry replaced per scrape (or a rope kept per scrape) survives the
 * young generation and the scavenger copies it, which made a scrape where
 * every series had changed 2.5x slower than without the cache.
 */
interface Entry {
  /** Undefined while the series changes scrape after scrape: its text would be rendered again anyway. */
  text: string | undefined;
  /** Whether `text` was flattened (on its first reuse: text rendered anew every scrape never is). */
  flat: boolean;
  /** The text before each line's value (FamilyRenderer.prefixes): a changed series is rendered from these. */
  readonly prefixes: readonly string[];
  /** Bytes accounted for the entry besides its text (overhead and prefixes). */
  readonly size: number;
  /**
   * The reading's value, count and sum, NaN for absent (`same` treats them
   * alike): always numbers, so V8 keeps these fields unboxed and updates them
   * in place; a field that may hold undefined gets a new heap number per store.
   */
  value: number;
  count: number;
  sum: number;
  createdMs: number | undefined;
  /** Bucket counts or quantile values, copied: a backend may hand out the same array each time. */
  values: number[] | undefined;
  /** Whether the reading had changed at the entry's last check. */
  changed: boolean;
  /** The pass that last used it; entries the previous pass did not use are dropped when the next begins. */
  pass: number;
}

/** Equal numbers, NaN equal to NaN (an empty summary's quantiles): -0 and 0 are equal too, and render alike. */
const same = (a: number | undefined, b: number | undefined) => a === b || (Number.isNaN(a) && Number.isNaN(b));

function sameValues(kept: readonly number[] | undefined, now: readonly number[] | undefined): boolean {
  if (kept === undefined || now === undefined) return kept === now;
  if (kept.length !== now.length) return false;
  for (let i = 0; i < kept.length; i++) if (!same(kept[i], now[i])) return false;
  return true;
}

function sameReading(e: Entry, reading: CellReading, createdMs: number | undefined): boolean {
  return (
    same(e.value, reading.value ?? Number.NaN) &&
    same(e.count, reading.count ?? Number.NaN) &&
    same(e.sum, reading.sum ?? Number.NaN) &&
    e.createdMs === createdMs &&
    sameValues(e.values, reading.bucketCounts ?? reading.quantileValues)
  );
}

/** Copies `now` into `kept` when it fits (no allocation), else returns a copy. */
function copyValues(kept: number[] | undefined, now: readonly number[] | undefined): number[] | undefined {
  if (now === undefined) return undefined;
  if (kept === undefined || kept.length !== now.length) return Array.from(now);
  for (let i = 0; i < now.length; i++) kept[i] = now[i]!;
  return kept;
}

/**
 * The text before the value of each line of a series without exemplars
 * (`x_bucket{a="1",le="0.5"} `), in the order `renderLines` writes them,
 * flat. Kept per series: a changed series' line is then its prefix and its
 * value, two pieces instead of four or five.
 */
export function linePrefixes(r: FamilyRenderer, open: string): string[] {
  const type = r.family.type;
  const close = open ? '} ' : ' ';
  const out: string[] = [];
  if (type === 'counter') out.push(r.total + open + close);
  else if (type === 'gauge') out.push(r.name + open + close);
  else {
    const sample = type === 'histogram' ? r.bucket : r.name;
    const head = open ? `${sample}${open},` : `${sample}{`;
    for (const label of type === 'histogram' ? r.les : r.qs) out.push(head + label);
    out.push(r.count + open + close, r.sum + open + close);
  }
  if (r.om && type !== 'gauge') out.push(`${r.name}_created${open}${close}`);
  return out.map(flatten);
}

/**
 * `valueLine` of 0…1023, ready-made: most lines of a histogram are small
 * cumulative counts, and `valueLine` allocates and copies a new short flat
 * string for each (V8 copies joins shorter than 13 characters).
 */
const SMALL_LINES = Array.from({ length: 1024 }, (_, i) => valueLine(i));

function line(value: number): string {
  return (value & 1023) === value ? SMALL_LINES[value]! : valueLine(value);
}

/** What FamilyRenderer.sample renders for a series without exemplars, from its line prefixes. */
export function renderLines(r: FamilyRenderer, prefixes: readonly string[], reading: CellReading, createdMs: number | undefined): string {
  const type = r.family.type;
  let out: string;
  if (type === 'counter' || type === 'gauge') out = prefixes[0] + line(reading.value ?? 0);
  else if (type === 'histogram') out = histogramLines(r, prefixes, reading);
  else {
    const values = reading.quantileValues ?? [];
    const n = r.qs.length;
    out = '';
    for (let i = 0; i < n; i++) out += prefixes[i] + line(values[i] ?? Number.NaN);
    out += countAndSum(prefixes, n, reading);
  }
  if (r.om && createdMs !== undefined && type !== 'gauge') out += prefixes[prefixes.length - 1] + line(createdMs / 1000);
  return out;
}

function histogramLines(r: FamilyRenderer, prefixes: readonly string[], reading: CellReading): string {
  const counts = reading.bucketCounts ?? [];
  const n = r.les.length;
  let out = '';
  let cumulative = 0;
  for (let i = 0; i < n; i++) {
    cumulative += counts[i] ?? 0;
    out += prefixes[i] + line(cumulative);
  }
  // As sample does: OpenMetrics leaves out a histogram's _count and _sum with negative buckets or sum.
  if (!r.om || (!r.negativeBuckets && (reading.sum ?? 0) >= 0)) out += countAndSum(prefixes, n, reading);
  return out;
}

function countAndSum(prefixes: readonly string[], n: number, reading: CellReading): string {
  return prefixes[n] + line(reading.count ?? 0) + prefixes[n + 1] + line(reading.sum ?? 0);
}

/** What the cache needs to render a new series' label text: its family's LabelLayout (core/label-layout.ts). */
export interface SeriesLabels<T> {
  textOf(series: { readonly key: unknown; readonly labelValues: readonly string[] }, table: T): string;
}

/** One family's cached series text in one format. */
export class SeriesTextCache {
  /** By the series' key (SeriesTable.keyOf: the series object, or a column table's slot and compaction count). */
  private readonly entries = new Map<unknown, Entry>();
  private pass = 0;
  /** Series the current pass has visited. */
  private visited = 0;
  private used = 0;

  constructor(private readonly budget: TextCacheBudget) {}

  /**
   * Starts a pass over the family's series (one per scrape). Entries the
   * previous pass did not visit (series removed or expired) are dropped
   * first; a pass abandoned midway only costs those it missed a render.
   */
  begin(): this {
    if (this.visited < this.entries.size) {
      for (const [key, e] of this.entries) {
        if (e.pass === this.pass) continue;
        this.entries.delete(key);
        this.grow(-(e.text === undefined ? 0 : e.text.length) - e.size);
      }
    }
    this.pass++;
    this.visited = 0;
    return this;
  }

  /**
   * The text of `series` for this reading: the kept text if the reading and
   * creation time are those it was rendered from, else rendered from the
   * series' line prefixes (a new series' from its label text, `labels`),
   * and kept. A series that changed at the previous scrape too keeps no
   * text: series recorded between every two scrapes cost a comparison and a
   * render, not a kept copy. Undefined for series with exemplars (their text
   * depends on more than the reading): the caller renders those.
   */
  text<T>(
    r: FamilyRenderer,
    key: unknown,
    series: { readonly key: unknown; readonly labelValues: readonly string[] },
    reading: CellReading,
    createdMs: number | undefined,
    exemplars: object | undefined,
    labels: SeriesLabels<T>,
    table: T,
  ): string | undefined {
    if (exemplars) return undefined;
    this.visited++;
    const e = this.entries.get(key);
    if (e === undefined) return this.add(key, reading, createdMs, linePrefixes(r, labels.textOf(series, table)), r);
    e.pass = this.pass;
    let keep = true;
    if (sameReading(e, reading, createdMs)) {
      e.changed = false;
      if (e.text !== undefined) {
        if (e.flat) return e.text;
        // The renderer's text is a rope of its pieces, which every scrape would walk again.
        e.flat = true;
        return flatten(e.text);
      }
    } else {
      e.value = reading.value ?? Number.NaN;
      e.count = reading.count ?? Number.NaN;
      e.sum = reading.sum ?? Number.NaN;
      e.createdMs = createdMs;
      e.values = copyValues(e.values, reading.bucketCounts ?? reading.quantileValues);
      keep = !e.changed;
      e.changed = true;
    }
    const text = renderLines(r, e.prefixes, reading, createdMs);
    const had = e.text === undefined ? 0 : e.text.length;
    const kept = keep && this.grow(text.length - had);
    if (!kept) this.grow(-had);
    e.text = kept ? text : undefined;
    e.flat = false;
    return text;
  }

  /** A new series' text from its `prefixes`, kept with them if the budget allows. */
  private add(key: unknown, reading: CellReading, createdMs: number | undefined, prefixes: string[], r: FamilyRenderer): string {
    const text = renderLines(r, prefixes, reading, createdMs);
    let size = ENTRY_OVERHEAD + 16 * prefixes.length;
    for (const p of prefixes) size += p.length;
    if (this.grow(text.length + size)) {
      const values = copyValues(undefined, reading.bucketCounts ?? reading.quantileValues);
      this.entries.set(key, {
        text,
        flat: false,
        prefixes,
        size,
        value: reading.value ?? Number.NaN,
        count: reading.count ?? Number.NaN,
        sum: reading.sum ?? Number.NaN,
        createdMs,
        values,
        changed: false,
        pass: this.pass,
      });
    }
    return text;
  }

  /** Drops every entry (the family grew past MAX_CACHED_SERIES). */
  clear(): void {
    this.grow(-this.used);
    this.entries.clear();
  }

  /** Accounts `bytes` more (or fewer) to this cache and the budget; false, accounting nothing, past the budget. */
  private grow(bytes: number): boolean {
    if (bytes > 0 && this.budget.used + bytes > this.budget.limit) return false;
    this.used += bytes;
    this.budget.used += bytes;
    return true;
  }
}

/** The text caches of one registry: one per family and format, sharing one budget. */
export class TextCaches {
  private readonly budget: TextCacheBudget;
  private readonly caches = new Map<string, SeriesTextCache>();

  constructor(limit?: number) {
    this.budget = new TextCacheBudget(limit);
  }

  /**
   * The cache for `family` in `format`, its pass begun (call once per scrape
   * of the family), or none (and its entries dropped) when the family has
   * grown too large.
   */
  of(family: { readonly name: string; seriesCount(): number }, format: ExpositionFormat): SeriesTextCache | undefined {
    const key = `${format} ${family.name}`;
    let cache = this.caches.get(key);
    if (family.seriesCount() > MAX_CACHED_SERIES) {
      cache?.clear();
      return undefined;
    }
    if (!cache) this.caches.set(key, (cache = new SeriesTextCache(this.budget)));
    return cache.begin();
  }
}
