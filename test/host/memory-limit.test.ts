import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitMemory } from '../../src/component/memory-limit.js';

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const name = (s: string) => [...leb(s.length), ...Buffer.from(s)];

/** A module defining one memory (min, optional max) exported as "m", with a custom section after it. */
function moduleWith(min: number, max: number | undefined): Uint8Array<ArrayBuffer> {
  const limits = max === undefined ? [0, ...leb(min)] : [1, ...leb(min), ...leb(max)];
  return new Uint8Array([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(5, [1, ...limits]),
    ...section(7, [1, ...name('m'), 2, 0]),
    ...section(0, [...name('after'), 1, 2, 3]),
  ]);
}

describe('limitMemory', () => {
  it('caps what a memory can grow to, judged by the engine itself; other sections survive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
        fc.integer({ min: 0, max: 60 }),
        (min, maxRaw, limitPages) => {
          const max = maxRaw === undefined ? undefined : Math.max(min, maxRaw);
          fc.pre(min <= limitPages);
          const module = new WebAssembly.Module(limitMemory(moduleWith(min, max), limitPages * 65_536 + 123));
          expect(WebAssembly.Module.customSections(module, 'after').map((b) => [...new Uint8Array(b)])).toEqual([[1, 2, 3]]);
          const memory = new WebAssembly.Instance(module).exports.m as WebAssembly.Memory;
          const cap = Math.min(max ?? Infinity, limitPages);
          if (cap > min) memory.grow(cap - min);
          expect(memory.buffer.byteLength).toBe(cap * 65_536);
          expect(() => memory.grow(1)).toThrow(RangeError);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a module that needs more memory at start than the limit, naming both', () => {
    expect(() => limitMemory(moduleWith(4, undefined), 2 * 65_536)).toThrow(/262144 bytes of memory at start, over the limit of 131072/);
  });
});
