import { grow, roomFor } from './room.js';

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
 * Slots keyed by a tuple of `k` interned ids, without an object per entry:
 * slots are numbered in insertion order (a removed one leaves a hole, its
 * first id set to `hole`, until compaction), `keys` holds their id tuples
 * (slot * k), and `index` maps a tuple to slot + 1 (0: empty). Both are
 * 16-bit while ids and slots fit (most tables), else 32-bit. What a slot
 * holds is its owner's business (SeriesTable: a series object, or a row of
 * value columns). Two layouts of `index`:
 * - dense (`shifts` set): while the ids of every label fit in few bits, the
 *   tuple's ids packed side by side (id_j << shifts[j]) are its position: no
 *   hash, no probe, no key compare. Used while that space is at most 4 entries
 *   per live slot (or 256), so it never costs more than the hash layout;
 * - hash (`shifts` null): open addressing, linear probing, at most half full.
 * Per slot that is 2k-4k B of key and 2-16 B of index, where a Map entry per
 * label plus a Set entry cost ~90 B. The layout is chosen again whenever the
 * index is rebuilt (growth, compaction, an id outgrowing its bits).
 */
export class TupleIndex {
  /** Slots handed out so far, holes included: the next slot's number. */
  end = 0;
  keys: Uint16Array | Int32Array;
  /** The largest id `keys` holds, and its hole marker (the first id of a removed slot): 0xffff, or -1 once 32-bit. */
  hole = 0xffff;
  index: Uint16Array | Int32Array = new Uint16Array(1);
  /** Dense layout: bit offset of each label's id in a position; null in the hash layout. */
  shifts: Uint8Array | null;
  /** Bits the largest id seen per label needs. */
  private readonly bits: Uint8Array;
  live = 0;
  /** Iterations in progress: compaction renumbers slots, so it waits for none. */
  readers = 0;
  /** Compactions so far: slot numbers name the same entry between two of them. */
  compactions = 0;
  /** Positions a dense index may always take, whatever the series count (tests lower it to see layouts switch). */
  static floor = 256;

  /** Called whenever `index` or `shifts` are replaced (the compiled lookup holds them). */
  onLayout: (() => void) | undefined;
  /** Compaction moved slot `from` to `to` (to <= from, in increasing order); `end` is the new slot count. */
  onMove: ((from: number, to: number) => void) | undefined;

  constructor(readonly k: number) {
    this.keys = new Uint16Array(8 * Math.max(k, 1));
    this.bits = new Uint8Array(k);
    this.shifts = new Uint8Array(k);
  }

  /** Whether `slot` (below `end`) holds a live entry. */
  has(slot: number): boolean {
    return this.keys[slot * this.k] !== this.hole;
  }

  /** Where the tuple at `keys[offset..]` lives: its position (dense) or where its probe starts (hash). */
  private home(keys: ArrayLike<number>, offset: number): number {
    const { k, shifts } = this;
    let h = shifts ? 0 : k;
    for (let j = 0; j < k; j++) h = shifts ? h | (keys[offset + j]! << shifts[j]!) : mix(h, keys[offset + j]!);
    return shifts ? h : (h ^ (h >>> 15)) & (this.index.length - 1);
  }

  /** The slot of `ids` (its first k entries), or -1. */
  find(ids: ArrayLike<number>): number {
    const { index, keys, k } = this;
    const mask = index.length - 1;
    for (let p = this.home(ids, 0); ; p = (p + 1) & mask) {
      const e = index[p]!;
      if (e === 0) return -1;
      const o = (e - 1) * k;
      let j = 0;
      while (j < k && keys[o + j] === ids[j]) j++;
      if (j === k) return e - 1;
    }
  }

  /** Adds `ids`; returns the new slot (compaction may renumber the others first: onMove). */
  add(ids: ArrayLike<number>): number {
    if (this.readers === 0 && this.end - this.live > Math.max(64, this.live)) this.compact();
    const slot = this.end;
    const k = this.k;
    if ((slot + 1) * k > this.keys.length) this.keys = grow(this.keys, roomFor(slot) * k);
    let wider = false;
    for (let j = 0; j < k; j++) {
      const id = ids[j]!;
      if (id >= 0xffff && this.hole === 0xffff) this.widenKeys();
      this.keys[slot * k + j] = id;
      if (id >>> this.bits[j]! !== 0) {
        this.bits[j] = 32 - Math.clz32(id);
        wider = true;
      }
    }
    this.end++;
    this.live++;
    if ((this.shifts ? wider : this.live * 2 > this.index.length) || this.end === 0xffff) this.relayout();
    else this.place(slot);
    return slot;
  }

  remove(slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let p = this.home(this.keys, slot * this.k);
    while (index[p] !== slot + 1) p = (p + 1) & mask;
    index[p] = 0;
    // Backward-shift deletion: entries after the hole that may live at it move up, so no tombstones are needed.
    for (let q = (p + 1) & mask; !this.shifts && index[q] !== 0; q = (q + 1) & mask) {
      const home = this.home(this.keys, (index[q]! - 1) * this.k);
      if (((q - home) & mask) >= ((q - p) & mask)) {
        index[p] = index[q]!;
        index[q] = 0;
        p = q;
      }
    }
    this.keys[slot * this.k] = this.hole;
    this.live--;
  }

  private place(slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let p = this.home(this.keys, slot * this.k);
    while (index[p] !== 0) p = (p + 1) & mask;
    index[p] = slot + 1;
  }

  /** Rebuilds `index`, dense while the packed ids span at most max(floor, 4 * live) positions. */
  private relayout(): void {
    let total = 0;
    for (let j = 0; j < this.k; j++) total += this.bits[j]!;
    let size = 8;
    if (total < 28 && 1 << total <= Math.max(TupleIndex.floor, this.live * 4)) {
      this.shifts = new Uint8Array(this.k);
      for (let j = 1; j < this.k; j++) this.shifts[j] = this.shifts[j - 1]! + this.bits[j - 1]!;
      size = 1 << total;
    } else {
      this.shifts = null;
      while (size < this.live * 2) size *= 2;
    }
    // Entries are slot + 1: 16 bits while slots are few (relaid out at the last slot that fits).
    this.index = this.end < 0xffff ? new Uint16Array(size) : new Int32Array(size);
    for (let s = 0; s < this.end; s++) if (this.has(s)) this.place(s);
    this.onLayout?.();
  }

  /** 32-bit keys: an id no longer fits 16 bits (0xffff is the 16-bit hole marker). */
  private widenKeys(): void {
    const keys = Int32Array.from(this.keys);
    for (let s = 0; s < this.end; s++) if (keys[s * this.k] === 0xffff) keys[s * this.k] = -1;
    this.keys = keys;
    this.hole = -1;
  }

  /** Drops the holes removed entries left, keeping insertion order. */
  private compact(): void {
    const k = this.k;
    const keys = new (this.keys.constructor as Int32ArrayConstructor)(roomFor(this.live) * k);
    let next = 0;
    for (let s = 0; s < this.end; s++) {
      if (!this.has(s)) continue;
      keys.set(this.keys.subarray(s * k, s * k + k), next * k);
      if (s !== next) this.onMove?.(s, next);
      next++;
    }
    this.end = next;
    this.keys = keys;
    this.compactions++;
    this.relayout();
  }
}
