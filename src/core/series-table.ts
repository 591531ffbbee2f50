import type { LabelValue } from '../api/instruments.js';
import { MetricsError, describeValue } from './errors.js';
import { LIMITS } from './limits.js';
import type { SeriesHome, ValueGuard } from './series.js';
import { Interner, TupleIndex, mix } from './tuple-index.js';

/** What the table needs of a series; instruments extend it. */
export interface SeriesBase {
  /** User label values in labelNames order (well-formed unicode). */
  readonly labelValues: readonly string[];
  /** Set by the table: the series' slot while it is in the table, its label values once it left. */
  key: number | readonly string[];
  /** Set on every recording; cleared by the idle sweep. */
  touched: boolean;
  /** Handed out through `labels()`: the user may keep recording into it. */
  bound: boolean;
  /** Clock reading when the series was last seen active by the sweep. */
  activeAtMs: number;
}

export interface SeriesTableOptions<S extends SeriesBase> {
  metric: string;
  labelNames: readonly string[];
  /** Series beyond this count go to the overflow series. */
  maxSeries: number;
  /** The count `maxSeries` applies to, when tables share a limit (open families). Default: this table's size. */
  count?: () => number;
  create(labelValues: readonly string[]): S;
  createOverflow(): S;
  /** Called once per recording redirected to the overflow series. */
  onOverflow(): void;
  destroy(series: S, reason: 'removed' | 'expired'): void;
  /** Where the table's series send the values they refuse. */
  guard?: ValueGuard;
}

export const KEY_SEPARATOR = '\u0000';

/**
 * Maps label sets to series. Each label's values are interned to small ids
 * (one Map per label name, shared by all series), and the id tuple is looked
 * up in an open-addressing index of typed arrays (TupleIndex): no key string
 * and no per-series Map or Set entry. A miss validates the label object
 * fully and creates the series. This class keeps one series object per
 * slot; ColumnSeriesTable (core/columns.ts) keeps counters' and gauges'
 * values in columns instead, with no object per series.
 */
export class SeriesTable<S extends SeriesBase> implements SeriesHome {
  protected readonly names: readonly string[];
  /** @internal per label name, value -> id; read by compiled lookups. */
  readonly interned: readonly Interner[];
  /** @internal the id-tuple index; read by compiled lookups. */
  readonly ix: TupleIndex;
  /** The series in each slot (holes where removed ones were, until compaction). */
  protected readonly objects: (S | undefined)[] = [];
  /** Scratch id tuple for the generic paths. */
  protected readonly scratch: Int32Array;
  private single: S | undefined;
  private overflow: S | undefined;
  /** Expired series a user still holds a handle to, by label key. */
  protected retired = new Map<string, WeakRef<S>>();

  /** The hot-path lookup, specialised to this table's label names when possible. */
  readonly get: (labels: Readonly<Record<string, LabelValue>>) => S;

  /** `fly`: the one object every lookup returns, repositioned per call (column tables; see compileLookup). */
  constructor(
    protected readonly options: SeriesTableOptions<S>,
    fly?: S & { slot: number },
  ) {
    this.names = options.labelNames;
    this.interned = this.names.map(() => new Interner());
    this.ix = new TupleIndex(this.names.length);
    this.ix.onMove = (from, to) => this.move(from, to);
    this.scratch = new Int32Array(this.names.length);
    this.get = compileLookup<S>(this, this.names, this.objects, fly) ?? ((labels) => this.lookup(labels));
  }

  get size(): number {
    return this.ix.live + (this.single ? 1 : 0);
  }

  /**
   * Every live series in creation order (exposition order), read lazily:
   * removed ones are skipped, and series that enter the table meanwhile wait
   * for the next read. Slots only grow while a reader is open (no compaction),
   * so stopping at the length seen at the start is what keeps a series that
   * left and came back (removed and re-created, or expired and reinstated)
   * from appearing twice in one exposition, which Prometheus would refuse.
   * Column tables yield one object repositioned per series: use it before
   * asking for the next.
   */
  *all(): Generator<S> {
    if (this.single) yield this.single;
    const ix = this.ix;
    ix.readers++;
    try {
      for (let s = 0, end = ix.end; s < end; s++) if (ix.has(s)) yield this.at(s);
    } finally {
      ix.readers--;
    }
  }

  /** The series in a live `slot`. */
  protected at(slot: number): S {
    return this.objects[slot]!;
  }

  /** Compaction moved a series from slot `from` to `to`. */
  protected move(from: number, to: number): void {
    const series = this.objects[from]!;
    this.objects[to] = series;
    series.key = to;
  }

  /** What identifies `series` across scrapes (the text cache's key): the series object here. */
  keyOf(series: S): unknown {
    return series;
  }

  /** The label values of the series in `slot`, from the interned ids. */
  valuesAt(slot: number): readonly string[] {
    const k = this.names.length;
    const keys = this.ix.keys;
    return this.interned.map((interner, j) => interner.values[keys[slot * k + j]!]!);
  }

  rejectValue(value: unknown, rule: string, labelValues: readonly string[]): void {
    this.options.guard?.rejectValue(value, rule, labelValues);
  }

  /** The series of a metric without labels. */
  unlabelled(): S {
    return (this.single ??= this.insert([]));
  }

  /** The generic lookup: used when code generation is unavailable, and for every miss. */
  lookup(labels: Readonly<Record<string, LabelValue>>): S {
    const names = this.names;
    if (typeof labels !== 'object' || labels === null) this.badLabels(labels);
    const ids = this.scratch;
    for (let i = 0; i < names.length; i++) {
      let value = labels[names[i]!];
      if (typeof value !== 'string') value = this.coerce(value, names[i]!, labels);
      const id = this.interned[i]!.ids.get(value);
      if (id === undefined) return this.miss(labels);
      ids[i] = id;
    }
    const slot = this.ix.find(ids);
    if (slot < 0) return this.miss(labels);
    if (countKeys(labels) !== names.length) this.badLabels(labels);
    return this.at(slot);
  }

  /** A series the user keeps (`labels()`): it records wherever it is, and expiry parks it instead of dropping it. */
  keep(series: S): S {
    series.bound = true;
    return series;
  }

  remove(labels: Readonly<Record<string, LabelValue>>): void {
    const values = this.valuesOf(labels);
    const series = this.find(values);
    if (series) this.delete(series, 'removed');
    this.retired.delete(values.join(KEY_SEPARATOR));
  }

  clear(): void {
    // Removing one by one leaves the index, the interned values and the maps compiled lookups hold empty,
    // and handles the user kept leave with their values.
    for (const series of this.all()) this.delete(series, 'removed');
    if (this.overflow) this.options.destroy(this.overflow, 'removed');
    this.overflow = undefined;
    this.retired.clear();
  }

  /** Re-inserts a series object the caller kept (an unlabelled root after reset). */
  adopt(series: S): void {
    this.link(series);
  }

  /** The overflow series, created on first use: open families' tables all send overflow here. */
  sharedOverflow(): S {
    return (this.overflow ??= this.options.createOverflow());
  }

  /** The overflow series, once something overflowed. */
  get overflowSeries(): S | undefined {
    return this.overflow;
  }

  /**
   * Drops series not recorded into for `ttlMs`. A series whose handle the
   * user kept is only parked: recording into it again brings it back.
   */
  sweep(nowMs: number, ttlMs: number): void {
    // Whole milliseconds keep activeAtMs a small integer on every series
    // (a fractional value would box it in a heap number per series).
    const now = Math.ceil(nowMs);
    for (const [key, ref] of this.retired) {
      const series = ref.deref();
      if (series === undefined) this.retired.delete(key);
      else if (series.touched) {
        this.retired.delete(key);
        this.reinstate(series);
      }
    }
    this.expire(now, ttlMs);
  }

  /** The sweep's pass over the live series: dates the recorded ones, drops (or parks) the idle ones. */
  protected expire(now: number, ttlMs: number): void {
    for (const series of this.all()) {
      if (series.touched) {
        series.touched = false;
        series.activeAtMs = now;
      } else if (now - series.activeAtMs >= ttlMs) {
        this.delete(series, 'expired');
        // Kept by the user: parked, to come back when it records again.
        if (series.bound) this.retired.set(series.labelValues.join(KEY_SEPARATOR), new WeakRef(series));
      }
    }
  }

  private miss(labels: Readonly<Record<string, LabelValue>>): S {
    const values = this.valuesOf(labels);
    if (this.retired.size > 0) {
      const key = values.join(KEY_SEPARATOR);
      const parked = this.retired.get(key)?.deref();
      this.retired.delete(key);
      if (parked) return this.reinstate(parked);
    }
    // A raw value that is not well-formed unicode misses the hot path but
    // must still land on the series its well-formed spelling names.
    const existing = this.find(values);
    if (existing) return existing;
    if ((this.options.count?.() ?? this.size) >= this.options.maxSeries) {
      this.options.onOverflow();
      return (this.overflow ??= this.options.createOverflow());
    }
    return this.insert(values);
  }

  /** A new series for `values` (an empty list: the unlabelled series). */
  protected insert(values: readonly string[]): S {
    const series = this.options.create(values);
    this.link(series);
    return series;
  }

  protected reinstate(series: S): S {
    // Untouched (a labels() call): expires at the next sweep unless used. Touched: that sweep dates it.
    if (!series.touched) series.activeAtMs = Number.NEGATIVE_INFINITY;
    this.link(series);
    return series;
  }

  private link(series: S): void {
    const values = series.labelValues;
    if (values.length === 0) {
      this.single = series;
      return;
    }
    const slot = this.ix.add(this.acquire(values));
    // Compaction (in add) moved the live series down: what is past the new end is stale.
    this.objects.length = slot;
    this.objects.push(series);
    series.key = slot;
  }

  /** Interns `values` into the scratch id tuple, counting one more series for each. */
  protected acquire(values: readonly string[]): Int32Array {
    const ids = this.scratch;
    for (let i = 0; i < values.length; i++) ids[i] = this.interned[i]!.acquire(values[i]!);
    return ids;
  }

  private find(values: readonly string[]): S | undefined {
    if (values.length === 0) return this.single;
    const ids = this.scratch;
    for (let i = 0; i < values.length; i++) {
      const id = this.interned[i]!.ids.get(values[i]!);
      if (id === undefined) return undefined;
      ids[i] = id;
    }
    const slot = this.ix.find(ids);
    return slot < 0 ? undefined : this.at(slot);
  }

  protected delete(series: S, reason: 'removed' | 'expired'): void {
    this.options.destroy(series, reason);
    if (series === this.single) {
      this.single = undefined;
      return;
    }
    const slot = series.key;
    if (typeof slot !== 'number' || this.objects[slot] !== series) return;
    // The series leaves the table with its values: a handle the user kept still names its labels.
    series.key = this.free(slot);
    this.objects[slot] = undefined;
  }

  /** Takes `slot` out of the index; values no series carries any more free their ids (churn does not leak). Returns its values. */
  protected free(slot: number): readonly string[] {
    const values = this.valuesAt(slot);
    this.ix.remove(slot);
    for (let i = 0; i < values.length; i++) this.interned[i]!.release(values[i]!);
    return values;
  }

  /** Full validation, used off the hot path: exact key set, string-able values. */
  protected valuesOf(labels: Readonly<Record<string, LabelValue>>): string[] {
    if (typeof labels !== 'object' || labels === null) this.badLabels(labels);
    const names = this.names;
    const values: string[] = [];
    for (const name of names) {
      const raw = labels[name];
      const value = typeof raw === 'string' ? raw.toWellFormed() : this.coerce(raw, name, labels);
      if (value.length > LIMITS.labelValueLength) {
        throw new MetricsError(
          'INVALID_LABELS',
          `${this.options.metric}: label "${name}": expected at most ${LIMITS.labelValueLength} characters, got ${value.length}`,
        );
      }
      values.push(value);
    }
    for (const key in labels) {
      if (!names.includes(key)) {
        throw new MetricsError(
          'INVALID_LABELS',
          `${this.options.metric}: unknown label "${key}" (declared: ${names.map((n) => `"${n}"`).join(', ') || 'none'})`,
        );
      }
    }
    // A series keeps this array: a copy has exactly its length, where push
    // had grown it to 17 slots (~150 B per series for two labels).
    return values.slice();
  }

  private coerce(value: unknown, name: string, labels: unknown): string {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value === 'string') return value;
    if (value === undefined) {
      throw new MetricsError('INVALID_LABELS', `${this.options.metric}: missing label "${name}" in ${describeValue(labels)}`);
    }
    throw new MetricsError(
      'INVALID_LABELS',
      `${this.options.metric}: label "${name}" must be a string, number or boolean, got ${describeValue(value)}`,
    );
  }

  private badLabels(labels: unknown): never {
    if (typeof labels === 'object' && labels !== null) this.valuesOf(labels as Record<string, LabelValue>);
    throw new MetricsError(
      'INVALID_LABELS',
      `${this.options.metric}: expected a labels object with ${this.names.map((n) => `"${n}"`).join(', ') || 'no labels'}, got ${describeValue(labels)}`,
    );
  }
}

/**
 * Builds a lookup with the label names as constant property accesses.
 * `labels[name]` with a variable `name` makes V8's property-load cache
 * megamorphic (~80 ns for two labels here); `labels.name` stays monomorphic
 * (~30 ns). Anything unusual (non-string values, misses, extra keys) falls
 * back to the generic path, so behaviour is identical. Returns undefined
 * where code generation is forbidden (CSP), and the generic loop serves.
 *
 * The index array, the slots and (dense) the shifts are variables of the
 * lookup's closure, re-pointed whenever the index is laid out again
 * (TupleIndex.onLayout), so a dense lookup is one Map.get per label, one
 * typed-array load and one array load, with no property loads of the index.
 */
function compileLookup<S extends SeriesBase>(
  table: SeriesTable<S>,
  names: readonly string[],
  objects: readonly (S | undefined)[],
  fly: (S & { slot: number }) | undefined,
): ((labels: Readonly<Record<string, LabelValue>>) => S) | undefined {
  if (names.length === 0 || names.length > 8) return undefined;
  // A constant key in brackets (`labels["gen_ai.tool.name"]`) is the same
  // monomorphic named load as `labels.x`; JSON.stringify makes any key a safe literal.
  // Terse on purpose: this text ships in the browser bundle as is. `M` is the miss (t.lookup), `H` the hash step,
  // `I` the index, `S` the slots' series (or `F`, the one object a column table repositions), `Z` true when dense, `d1..` the shifts.
  const k = names.length;
  const ids = names.map((_, i) => `i${i}`);
  let head = `if(typeof l!="object"||l===null)return M(l);`;
  names.forEach((name, i) => {
    head += `const v${i}=l[${JSON.stringify(name)}];if(typeof v${i}!="string")return M(l);const i${i}=m${i}.get(v${i});if(i${i}===undefined)return M(l);`;
  });
  const tail = `let n=0;for(const _ in l)n++;return n===${k}?${fly ? '(F.slot=s,F)' : 'S[s]'}:M(l)`;
  // Dense layout: the packed ids are the position (every interned id fits its bits, so no key compare).
  const dense = `const s=I[${ids.map((id, i) => (i ? `${id}<<d${i}` : id)).join('|')}]-1;if(s<0)return M(l);`;
  const match = ids.map((id, i) => `K[o+${i}]===${id}`).join('&&');
  const hash = `let h=${k};${ids.map((id) => `h=H(h,${id});`).join('')}h^=h>>>15;let s;const K=x.keys,w=I.length-1;for(let p=h&w;;p=(p+1)&w){const e=I[p];if(e===0)return M(l);const o=(e-1)*${k};if(${match}){s=e-1;break}}`;
  const shifts = ids.slice(1).map((_, i) => `d${i + 1}`);
  // One function for the table's life (callers may keep `table.get`, the OTel bridge does); `R` re-points the
  // variables it reads at the index's current arrays after each layout change. `var`: no TDZ checks on the hot path.
  const vars = ['I', 'Z', ...shifts];
  const body = `var ${vars};return[function lookup(l){${head}if(Z){${dense}${tail}}${hash}${tail}},(${vars.map((v) => `_${v}`)})=>{${vars.map((v) => `${v}=_${v}`).join(';')}}]`;
  try {
    const [lookup, rebind] = new Function('M', 'x', 'H', 'S', 'F', ...names.map((_, i) => `m${i}`), body)(
      (labels: Readonly<Record<string, LabelValue>>) => table.lookup(labels),
      table.ix,
      mix,
      objects,
      fly,
      ...table.interned.map((i) => i.ids),
    );
    const { ix } = table;
    const bind = () => rebind(ix.index, ix.shifts !== null, ...(ix.shifts ?? []).slice(1));
    bind();
    ix.onLayout = bind;
    return lookup as (labels: Readonly<Record<string, LabelValue>>) => S;
  } catch {
    return undefined;
  }
}

function countKeys(object: object): number {
  let n = 0;
  for (const _ in object) n++;
  return n;
}
