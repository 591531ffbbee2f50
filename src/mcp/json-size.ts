/**
 * The UTF-8 length of `JSON.stringify(value)` without building the string.
 *
 * Message sizes are recorded for every JSON-RPC message; serializing each
 * one again only to count its bytes cost 1-2 µs per message on Node 20, most
 * of the instrumentation's cost per tools/call. This walks the value the way
 * JSON.stringify does (ECMA-262 SerializeJSONProperty: toJSON, wrapper
 * objects, omitted undefined/function/symbol members, null in arrays,
 * non-finite numbers as null, well-formed escapes of lone surrogates) and
 * adds up the bytes. The property tests hold it to
 * `Buffer.byteLength(JSON.stringify(value))` on arbitrary JSON-like values.
 *
 * Returns undefined where JSON.stringify would throw (a cycle, a BigInt) or
 * produce nothing (a top-level undefined): no size is recorded then, and
 * nothing is thrown into the instrumented code.
 */

/** Nesting deeper than this is treated as a cycle (JSON.stringify itself throws on cycles). */
const MAX_DEPTH = 512;

/** Bytes of a JSON string literal, quotes included. */
export function jsonStringBytes(text: string): number {
  const n = text.length;
  let bytes = n + 2;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue; // one byte, counted already
    bytes--;
    if (c < 0x80) {
      if (c >= 0x20) bytes += c === 0x22 || c === 0x5c ? 2 : 1;
      // \b \t \n \f \r have two-character escapes; other controls are \u00XX.
      else bytes += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
    } else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 3; // 4 bytes for the pair, whose low half was counted as 1 already
        i++;
      } else bytes += 6; // a lone high surrogate: \udXXX
    } else if (c >= 0xdc00 && c <= 0xdfff)
      bytes += 6; // a lone low surrogate
    else bytes += 3;
  }
  return bytes;
}

/** Characters of a number as JSON.stringify writes it (integers counted without building the string). */
function numberBytes(value: number): number {
  // Small non-negative integers (ids, counts) first: no loop, no division.
  if (value >= 0 && value < 1e9 && (value | 0) === value)
    return value < 1e4
      ? value < 10
        ? 1
        : value < 100
          ? 2
          : value < 1000
            ? 3
            : 4
      : value < 1e5
        ? 5
        : value < 1e6
          ? 6
          : value < 1e7
            ? 7
            : value < 1e8
              ? 8
              : 9;
  if (!Number.isFinite(value)) return 4; // null
  if (Number.isInteger(value) && value > -1e15 && value < 1e15) {
    let digits = value < 0 ? 2 : 1;
    let v = value < 0 ? -value : value;
    while (v >= 10) {
      v = Math.floor(v / 10);
      digits++;
    }
    return digits;
  }
  return String(value).length;
}

const hasOwn = Object.prototype.hasOwnProperty;

class Unserializable extends Error {}
class TooDeep extends Error {}

/** Bytes of a member value (`key` is its name or index), or -1 where JSON.stringify omits it (undefined, functions, symbols). */
function valueBytes(key: string | number, input: unknown, depth: number): number {
  if (input !== null && (typeof input === 'object' || typeof input === 'bigint')) {
    const toJSON = (input as { toJSON?: unknown }).toJSON;
    // Called once: what toJSON returns is serialized as it is, its own toJSON ignored.
    if (typeof toJSON === 'function') return bareBytes(toJSON.call(input, String(key)), depth);
  }
  return bareBytes(input, depth);
}

/** Bytes of a value after its toJSON step, or -1 where JSON.stringify omits it. */
function bareBytes(input: unknown, depth: number): number {
  switch (typeof input) {
    case 'string':
      return jsonStringBytes(input);
    case 'number':
      return numberBytes(input);
    case 'boolean':
      return input ? 4 : 5;
    case 'undefined':
    case 'function':
    case 'symbol':
      return -1;
  }
  if (input === null) return 4;
  if (typeof input === 'bigint') throw new Unserializable();
  if (depth >= MAX_DEPTH) throw new TooDeep();
  const value = input as object;
  if (Array.isArray(value)) {
    const length = value.length;
    let bytes = length > 1 ? length + 1 : 2; // brackets and commas
    for (let i = 0; i < length; i++) {
      const item = valueBytes(i, value[i], depth + 1);
      bytes += item < 0 ? 4 : item;
    }
    return bytes;
  }
  // Boxed primitives (new Number(1)) serialize as their value; plain objects, the common case, skip the checks.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (value instanceof Number) return numberBytes(Number(value));
    if (value instanceof String) return jsonStringBytes(String(value));
    if (value instanceof Boolean) return value.valueOf() ? 4 : 5;
    if (value instanceof BigInt) throw new Unserializable();
  }
  const object = value as Record<string, unknown>;
  let bytes = 2;
  let members = 0;
  for (const name in object) {
    if (!hasOwn.call(object, name)) continue;
    const member = valueBytes(name, object[name], depth + 1);
    if (member < 0) continue;
    bytes += jsonStringBytes(name) + 1 + member;
    members++;
  }
  return members > 1 ? bytes + members - 1 : bytes;
}

/**
 * UTF-8 bytes of `JSON.stringify(value)`, or undefined where it throws or
 * returns undefined. `fallback` counts a serialized string's bytes: it is
 * used, with JSON.stringify, only past MAX_DEPTH levels of nesting (where a
 * cycle is the likely reason, and JSON.stringify's own check decides).
 */
export function jsonUtf8Bytes(value: unknown, fallback: (text: string) => number): number | undefined {
  try {
    const bytes = valueBytes('', value, 0);
    return bytes < 0 ? undefined : bytes;
  } catch (error) {
    // A BigInt, or a toJSON that threw: JSON.stringify would throw as well.
    if (!(error instanceof TooDeep || error instanceof RangeError)) return undefined;
  }
  try {
    const text = JSON.stringify(value) as string | undefined;
    return text === undefined ? undefined : fallback(text);
  } catch {
    return undefined;
  }
}
