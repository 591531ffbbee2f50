import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertArgument, convertArguments, signature, worldExports } from '../../src/cli/wit-signature.js';

const WORLD = `package root:component;

world root {
  import omnimeter:metrics/recorder@0.1.0;
  // a comment: export fake: func();
  export fib: func(n: u32, rounds: u32) -> u64;
  export count-values: func(json: string) -> s32;
  export pairs: func(items: list<tuple<u32, string>>, flag: bool);
  export omnimeter:metrics/collector@0.1.0;
}
`;

describe('WIT signatures of a component', () => {
  it('lists the top-level function exports with their parameter types', () => {
    expect(worldExports(WORLD).map(signature)).toEqual([
      'fib(n: u32, rounds: u32) -> u64',
      'count-values(json: string) -> s32',
      'pairs(items: list<tuple<u32, string>>, flag: bool)',
    ]);
  });
});

describe('command-line arguments typed by the WIT signature', () => {
  it('gives a string parameter any text unchanged, JSON-looking or not', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(convertArgument({ name: 's', type: 'string' }, text)).toBe(text);
      }),
    );
  });

  it('accepts every integer in range and refuses the ones just outside, per width', () => {
    const widths = [
      ['u8', 0n, 255n],
      ['u16', 0n, 65535n],
      ['u32', 0n, 4294967295n],
      ['s8', -128n, 127n],
      ['s32', -2147483648n, 2147483647n],
      ['u64', 0n, 18446744073709551615n],
      ['s64', -9223372036854775808n, 9223372036854775807n],
    ] as const;
    for (const [type, min, max] of widths) {
      const param = { name: 'n', type };
      fc.assert(
        fc.property(fc.bigInt({ min, max }), (n) => {
          const value = convertArgument(param, n.toString());
          expect(type.endsWith('64') ? value : BigInt(value as number)).toBe(n);
        }),
      );
      expect(() => convertArgument(param, (max + 1n).toString())).toThrow(`n: expected an integer ${min}..${max} (WIT ${type})`);
      expect(() => convertArgument(param, (min - 1n).toString())).toThrow(`n: expected an integer ${min}..${max}`);
      expect(() => convertArgument(param, '1.5')).toThrow('expected an integer');
    }
  });

  it('reads floats (including nan and inf), booleans and chars strictly', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0)),
        (x) => {
          expect(convertArgument({ name: 'x', type: 'f64' }, String(x))).toBe(x);
        },
      ),
    );
    expect(convertArgument({ name: 'x', type: 'f32' }, 'nan')).toBeNaN();
    expect(convertArgument({ name: 'x', type: 'f32' }, '-inf')).toBe(-Infinity);
    expect(() => convertArgument({ name: 'x', type: 'f64' }, 'abc')).toThrow('x: expected a number (WIT f64), got "abc"');
    expect(() => convertArgument({ name: 'x', type: 'f64' }, '')).toThrow('expected a number');
    expect(convertArgument({ name: 'b', type: 'bool' }, 'false')).toBe(false);
    expect(() => convertArgument({ name: 'b', type: 'bool' }, '1')).toThrow('b: expected true or false');
    expect(convertArgument({ name: 'c', type: 'char' }, '🦀')).toBe('🦀');
    expect(() => convertArgument({ name: 'c', type: 'char' }, 'ab')).toThrow('expected one character');
  });

  it('reads structured parameters as JSON and checks the count', () => {
    const [, , pairs] = worldExports(WORLD);
    expect(convertArguments(pairs!, ['[[1, "a"]]', 'true'])).toEqual([[[1, 'a']], true]);
    expect(() => convertArguments(pairs!, ['[[1, "a"]'])).toThrow(
      'pairs(items: list<tuple<u32, string>>, flag: bool) takes 2 argument(s), got 1',
    );
    expect(() => convertArguments(pairs!, ['[[1, "a"]', 'true'])).toThrow('items: expected JSON (WIT list<tuple<u32, string>>)');
  });
});
