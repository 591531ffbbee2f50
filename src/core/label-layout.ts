import { labelTextOf } from '../exposition/text.js';

type Pairs = readonly (readonly [string, string])[];

/**
 * The labels of one series table: pairs every series carries (`fixed`:
 * default labels, an OpenTelemetry scope's labels) and the names of the
 * series' own values. Series store only their values; pairs and exposition
 * text are made from the layout when a collection asks, and not kept: kept
 * per series they doubled its memory after the first scrape.
 */
export class LabelLayout {
  private textOf: ((values: readonly string[]) => string) | undefined;

  constructor(
    readonly fixed: Pairs,
    readonly names: readonly string[],
  ) {}

  /** Label pairs of the series with `values`, fixed pairs first: a new array per call. */
  pairs(values: readonly string[]): Pairs {
    return [...this.fixed, ...this.names.map((n, i) => [n, values[i]!] as const)];
  }

  /** Exposition label text (`a="x",b="y"`) of the series with `values`. */
  text(values: readonly string[]): string {
    this.textOf ??= labelTextOf(this.fixed, this.names);
    return this.textOf(values);
  }
}
