/**
 * The exports of a component as its WIT world declares them (the `.wit`
 * that build-guest and the transpile cache write beside the glue), and
 * command-line arguments converted by the declared parameter types: a
 * `string` parameter receives the text as typed, a `u32` an integer in
 * range, a `u64` a BigInt (what jco's glue expects), anything structured
 * (list, record, option, tuple...) JSON.
 */

export interface WitParam {
  name: string;
  type: string;
}

export interface WitFunction {
  name: string;
  params: WitParam[];
  result?: string;
}

/** Splits on commas outside `<...>` and `(...)`: `list<tuple<u32, string>>, b: u8` has two parts. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<' || c === '(') depth++;
    else if (c === '>' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** The top-level function exports of the world in `wit` (interface exports are not callable by name). */
export function worldExports(wit: string): WitFunction[] {
  const text = wit.replace(/\/\/[^\n]*/g, '');
  const found: WitFunction[] = [];
  for (const match of text.matchAll(/\bexport\s+(%?[a-z][a-z0-9-]*)\s*:\s*func\s*\(([^;]*?)\)\s*(?:->\s*([^;]+?))?\s*;/g)) {
    const params = splitTopLevel(match[2]!).map((p) => {
      const colon = p.indexOf(':');
      return { name: p.slice(0, colon).trim(), type: p.slice(colon + 1).trim() };
    });
    found.push({ name: match[1]!.replace(/^%/, ''), params, ...(match[3] ? { result: match[3].trim() } : {}) });
  }
  return found;
}

export const signature = (f: WitFunction): string =>
  `${f.name}(${f.params.map((p) => `${p.name}: ${p.type}`).join(', ')})${f.result ? ` -> ${f.result}` : ''}`;

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  s8: [-128n, 127n],
  s16: [-32768n, 32767n],
  s32: [-2147483648n, 2147483647n],
  s64: [-9223372036854775808n, 9223372036854775807n],
};

const FLOAT_WORDS: Record<string, number> = { nan: NaN, inf: Infinity, infinity: Infinity, '-inf': -Infinity, '-infinity': -Infinity };

/** One argument as the parameter's WIT type wants it; throws a message naming the parameter. */
export function convertArgument(param: WitParam, text: string): unknown {
  const fail = (expected: string): never => {
    throw new Error(`${param.name}: expected ${expected} (WIT ${param.type}), got ${JSON.stringify(text)}`);
  };
  const type = param.type;
  if (type === 'string') return text;
  if (type === 'char') return [...text].length === 1 ? text : fail('one character');
  if (type === 'bool') return text === 'true' ? true : text === 'false' ? false : fail('true or false');
  const range = INTEGER_RANGES[type];
  if (range) {
    if (!/^-?\d+$/.test(text)) fail('an integer');
    const value = BigInt(text);
    if (value < range[0] || value > range[1]) fail(`an integer ${range[0]}..${range[1]}`);
    return type === 'u64' || type === 's64' ? value : Number(value);
  }
  if (type === 'f32' || type === 'f64') {
    const special = FLOAT_WORDS[text.toLowerCase()];
    if (special !== undefined) return special;
    const value = Number(text);
    return text.trim() === '' || Number.isNaN(value) ? fail('a number') : value;
  }
  try {
    return JSON.parse(text);
  } catch {
    return fail('JSON');
  }
}

/** All arguments of a call, checked against the signature. */
export function convertArguments(f: WitFunction, texts: readonly string[]): unknown[] {
  if (texts.length !== f.params.length) throw new Error(`${signature(f)} takes ${f.params.length} argument(s), got ${texts.length}`);
  return f.params.map((p, i) => convertArgument(p, texts[i]!));
}
