import { escapeLabelValue, labelText, plainLabelNames } from '../exposition/text.js';

type Pairs = readonly (readonly [string, string])[];

/** What label text needs from a series table: values interned per label, and each slot's id tuple. */
export interface InternedValues {
  readonly interned: readonly { readonly values: readonly (string | undefined)[] }[];
  readonly ix: { readonly keys: ArrayLike<number>; readonly live: number };
}

/** Value ids below this always keep their rendered text; above it only while values are shared (see textAt). */
const ALWAYS_CACHED_IDS = 1024;

/**
 * The labels of one series table: pairs every series carries (`fixed`:
 * default labels, an OpenTelemetry scope's labels) and the names of the
 * series' own values. Series store only their values; pairs are made from
 * the layout when a collection asks. Exposition text is kept per distinct
 * label value (textAt), never per series: kept per series it doubled a
 * series' memory after the first scrape.
 */
export class LabelLayout {
  /** Per label and value id: at 2*id the value, at 2*id+1 its `,name="escaped"` (`{` first; ids are reused by new values). */
  private readonly cache: (string | undefined)[][];
  private readonly prefix: string;
  /** Names that need no translation: otherwise text goes through labelText's general path. */
  private readonly plain: boolean;

  constructor(
    readonly fixed: Pairs,
    readonly names: readonly string[],
  ) {
    this.cache = names.map(() => []);
    this.prefix = labelText({ labels: fixed });
    this.plain = plainLabelNames([...fixed.map(([n]) => n), ...names]);
  }

  /** Label pairs of the series with `values`, fixed pairs first: a new array per call. */
  pairs(values: readonly string[]): Pairs {
    return [...this.fixed, ...this.names.map((n, i) => [n, values[i]!] as const)];
  }

  /** Exposition label text, opened (`{a="x",b="y"`, see labelText), of the series with `values`. */
  text(values: readonly string[]): string {
    return labelText({ labels: this.pairs(values) });
  }

  /** The label text of `series`: from its table's value ids (textAt) while it is in `table`, else from its values. */
  textOf(series: { readonly key: unknown; readonly labelValues: readonly string[] }, table: InternedValues | undefined): string {
    const key = series.key;
    return typeof key === 'number' && table ? this.textAt(table, key) : this.text(series.labelValues);
  }

  /**
   * The label text of the series in `slot` of `table`, from its value ids:
   * each distinct value is escaped and rendered once and reused by every
   * series carrying it, scrape after scrape. A value's text is kept while
   * its id is small or values are shared by 4+ series on average; labels
   * unique per series (ids as many as series) render per scrape instead of
   * holding a second string per series.
   */
  textAt(table: InternedValues, slot: number): string {
    const { names, cache, prefix } = this;
    const k = names.length;
    const ids = table.ix.keys;
    if (!this.plain) return this.text(names.map((_, j) => table.interned[j]!.values[ids[slot * k + j]!]!));
    let text = prefix;
    for (let j = 0; j < k; j++) {
      const id = ids[slot * k + j]!;
      const values = table.interned[j]!.values;
      const value = values[id]!;
      const kept = cache[j]!;
      let piece = kept[2 * id + 1]!;
      if (kept[2 * id] !== value) {
        piece = `${prefix || j ? ',' : '{'}${names[j]}="${escapeLabelValue(value)}"`;
        if (id < ALWAYS_CACHED_IDS || values.length * 4 <= table.ix.live) {
          kept[2 * id] = value;
          kept[2 * id + 1] = piece;
        }
      }
      text += piece;
    }
    return text;
  }
}
