/**
 * jsonUtf8Bytes counts the bytes of JSON.stringify without building the
 * string. The judge is V8's JSON.stringify and Node's Buffer.byteLength, on
 * arbitrary values (fast-check), and on the cases JSON.stringify treats
 * specially.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8BytesScanned } from '../../src/mcp/bytes.js';
import { jsonStringBytes, jsonUtf8Bytes } from '../../src/mcp/json-size.js';

/** What JSON.stringify says: its UTF-8 bytes, or undefined when it throws or returns undefined. */
function judge(value: unknown): number | undefined {
  try {
    const text = JSON.stringify(value) as string | undefined;
    return text === undefined ? undefined : Buffer.byteLength(text, 'utf8');
  } catch {
    return undefined;
  }
}

const bytesOf = (value: unknown) => jsonUtf8Bytes(value, (text) => Buffer.byteLength(text, 'utf8'));

/** Strings of any UTF-16 code units: controls, quotes, backslashes, astral pairs and lone surrogates. */
const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const anyKey = fc.oneof(anyString, fc.constantFrom('__proto__', 'toJSON', 'constructor', '0', '1e3', ''));

describe('jsonUtf8Bytes', () => {
  it('equals Buffer.byteLength(JSON.stringify(value)) for any JSON value, strings of any code units', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        anyString,
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(anyKey, tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        expect(bytesOf(value)).toBe(judge(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals JSON.stringify on anything fast-check makes (undefined, functions, -0, NaN, Dates, Maps, boxed values, sparse arrays)', () => {
    const anything = fc.anything({
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withBigInt: true,
      key: anyKey,
      stringUnit: 'binary',
    });
    fc.assert(
      fc.property(anything, (value) => {
        expect(bytesOf(value)).toBe(judge(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('follows toJSON (with the member name), skips what JSON.stringify omits, refuses what it refuses', () => {
    const seen: string[] = [];
    const withToJSON = {
      toJSON(key: string) {
        seen.push(key);
        return { key, text: 'é' };
      },
    };
    const cases: unknown[] = [
      { a: withToJSON, b: [withToJSON] },
      new Date(0),
      { date: new Date(Date.UTC(2026, 10, 26)) },
      [undefined, () => 1, Symbol('s'), Number.NaN, -0, Number.POSITIVE_INFINITY],
      { u: undefined, f: () => 1, s: Symbol('s'), kept: 1 },
      Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
      Object.defineProperty({ shown: 1 }, 'hidden', { value: 2, enumerable: false }),
      [new Number(3), new String('x"'), new Boolean(false)],
      { toJSON: () => undefined },
      // toJSON is called once: what it returns is serialized as it is, even a Date or another object with toJSON.
      { toJSON: () => new Date(0) },
      { a: { toJSON: () => ({ toJSON: () => 'never called', x: 1 }) } },
      { toJSON: () => new Number(5) },
      { n: 1e21, m: 1.5e-7, big: 1.2345678901234567e19, neg: -999999999999999, max: Number.MAX_VALUE, min: Number.MIN_VALUE },
    ];
    for (const value of cases) expect(bytesOf(value)).toBe(judge(value));
    expect(seen).toEqual(['a', '0', 'a', '0']);
    expect(bytesOf(undefined)).toBeUndefined();
    expect(bytesOf(() => 1)).toBeUndefined();
    expect(bytesOf({ big: 1n })).toBeUndefined();
    expect(
      bytesOf({
        toJSON() {
          throw new Error('no');
        },
      }),
    ).toBeUndefined();
  });

  it('returns undefined for a cycle, and counts nesting deeper than its own limit through JSON.stringify', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(bytesOf(cycle)).toBeUndefined();
    expect(bytesOf([cycle])).toBeUndefined();
    let deep: unknown = 'é';
    for (let i = 0; i < 2000; i++) deep = i % 2 ? [deep] : { d: deep };
    expect(bytesOf(deep)).toBe(judge(deep));
  });

  it('jsonStringBytes is the byte length of the quoted, escaped string', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        const quoted = JSON.stringify(text);
        expect(jsonStringBytes(text)).toBe(Buffer.byteLength(quoted));
        expect(jsonStringBytes(text)).toBe(utf8BytesScanned(quoted));
      }),
      { numRuns: 5000 },
    );
  });
});
