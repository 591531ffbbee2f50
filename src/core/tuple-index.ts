/**
 * Label values interned per label name: each distinct value gets a small
 * integer id shared by every series that carries it, counted so that ids of
 * values no series uses any more are freed (churn does not leak).
 */
export class Interner {
  readonly ids = new Map<string, number>();
  /** id -> value. */
  values: (string | undefined)[] = [];
  private refs: number[] = [];
  private free: number[] = [];

  acquire(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.free.pop() ?? this.refs.length;
      this.ids.set(value, id);
      this.values[id] = value;
      this.refs[id] = 0;
    }
    this.refs[id]!++;
    return id;
  }

  release(value: string): void {
    const id = this.ids.get(value);
    if (id !== undefined && --this.refs[id]! === 0) {
      this.ids.delete(value);
      this.values[id] = undefined;
      this.free.push(id);
    }
  }
}

/** One step of the tuple hash; compiled lookups (series-table.ts) call it too, so both agree. */
export function mix(h: number, id: number): number {
  return Math.imul(((h << 5) | (h >>> 27)) ^ id, 0x9e3779b1);
}

/**
 * Series keyed by a tuple of `k` interned ids, without an object per entry:
 * `slots` holds the series in insertion order (removed ones leave a hole
 * until compaction), `keys` their id tuples (slot * k), and `index` is an
 * open-addressing (linear probing) table of slot + 1, 0 meaning empty, kept
 * at most half full. Per series that is ~8 B of slot, 4k B of key and ~8-16 B
 * of index, where a Map entry per label plus a Set entry cost ~90 B.
 */
export class TupleIndex<S extends { key: unknown }> {
  slots: (S | undefined)[] = [];
  keys: Uint32Array;
  index = new Uint32Array(8);
  live = 0;
  /** Iterations in progress: compaction renumbers slots, so it waits for none. */
  readers = 0;

  constructor(readonly k: number) {
    this.keys = new Uint32Array(8 * k);
  }

  private hashAt(keys: ArrayLike<number>, offset: number): number {
    let h = this.k;
    for (let j = 0; j < this.k; j++) h = mix(h, keys[offset + j]!);
    return h ^ (h >>> 15);
  }

  /** The series with `ids` (its first k entries). */
  find(ids: ArrayLike<number>): S | undefined {
    const { index, keys, k } = this;
    const mask = index.length - 1;
    for (let p = this.hashAt(ids, 0) & mask; ; p = (p + 1) & mask) {
      const e = index[p]!;
      if (e === 0) return undefined;
      const o = (e - 1) * k;
      let j = 0;
      while (j < k && keys[o + j] === ids[j]) j++;
      if (j === k) return this.slots[e - 1];
    }
  }

  /** Adds `series` under `ids`; returns its slot. */
  add(ids: ArrayLike<number>, series: S): number {
    if (this.readers === 0 && this.slots.length - this.live > Math.max(64, this.live)) this.compact();
    const slot = this.slots.length;
    const k = this.k;
    if ((slot + 1) * k > this.keys.length) this.keys = grow(this.keys, (slot + 1) * k * 2);
    for (let j = 0; j < k; j++) this.keys[slot * k + j] = ids[j]!;
    this.slots.push(series);
    this.live++;
    if (this.live * 2 > this.index.length) this.rehash(this.index.length * 2);
    else this.place(slot);
    return slot;
  }

  remove(slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let p = this.hashAt(this.keys, slot * this.k) & mask;
    while (index[p] !== slot + 1) p = (p + 1) & mask;
    index[p] = 0;
    // Backward-shift deletion: entries after the hole that may live at it move up, so no tombstones are needed.
    for (let q = (p + 1) & mask; index[q] !== 0; q = (q + 1) & mask) {
      const home = this.hashAt(this.keys, (index[q]! - 1) * this.k) & mask;
      if (((q - home) & mask) >= ((q - p) & mask)) {
        index[p] = index[q]!;
        index[q] = 0;
        p = q;
      }
    }
    this.slots[slot] = undefined;
    this.live--;
  }

  private place(slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let p = this.hashAt(this.keys, slot * this.k) & mask;
    while (index[p] !== 0) p = (p + 1) & mask;
    index[p] = slot + 1;
  }

  private rehash(size: number): void {
    this.index = new Uint32Array(size);
    for (let s = 0; s < this.slots.length; s++) if (this.slots[s] !== undefined) this.place(s);
  }

  /** Drops the holes removed series left, keeping insertion order. */
  private compact(): void {
    const k = this.k;
    const slots: (S | undefined)[] = [];
    const keys = new Uint32Array(Math.max(8, this.live * 2) * k);
    for (let s = 0; s < this.slots.length; s++) {
      const series = this.slots[s];
      if (series === undefined) continue;
      keys.set(this.keys.subarray(s * k, s * k + k), slots.length * k);
      series.key = slots.length;
      slots.push(series);
    }
    this.slots = slots;
    this.keys = keys;
    this.rehash(this.index.length);
  }
}

function grow(array: Uint32Array, length: number): Uint32Array {
  const next = new Uint32Array(length);
  next.set(array);
  return next;
}
