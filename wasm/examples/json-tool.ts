import { Counter, Histogram, Summary, flush } from "../sdk/metrics";

const documents = new Counter("json_tool_documents_total", "Documents processed, by outcome.", ["status"]);
const ok = documents.labels(["ok"]);
const invalid = documents.labels(["invalid"]);
const sizes = new Histogram("json_tool_document_bytes", "Document sizes in UTF-8 bytes.", [64, 256, 1024, 4096], [], "bytes");
const values = new Summary("json_tool_values", "Scalar values per document.", [0.5, 0.9, 0.99]);

/** Nesting deeper than this is refused (the parser recurses). */
const MAX_DEPTH = 256;

// The document, read in place where the host lowered it (UTF-16 code units): no copy is made.
let src: usize = 0;
let end: i32 = 0;
let pos: i32 = 0;
let scalars: i32 = 0;

@inline function ch(i: i32): i32 {
  return <i32>load<u16>(src + (<usize>i << 1));
}

function skipSpace(): void {
  while (pos < end) {
    const c = ch(pos);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
    pos++;
  }
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: i32): bool {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** A string starting at `pos` (its opening quote), escapes checked. */
function parseString(): bool {
  pos++;
  while (pos < end) {
    const c = ch(pos++);
    if (c == 0x22) return true;
    if (c < 0x20) return false;
    if (c == 0x5c) {
      if (pos >= end) return false;
      const e = ch(pos++);
      if (e == 0x75) {
        for (let k = 0; k < 4; k++) if (pos >= end || !isHex(ch(pos++))) return false;
      } else if (e != 0x22 && e != 0x5c && e != 0x2f && e != 0x62 && e != 0x66 && e != 0x6e && e != 0x72 && e != 0x74) return false;
    }
  }
  return false;
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function parseNumber(): bool {
  if (ch(pos) == 0x2d) pos++;
  if (pos >= end) return false;
  if (ch(pos) == 0x30) pos++;
  else if (isDigit(ch(pos))) while (pos < end && isDigit(ch(pos))) pos++;
  else return false;
  if (pos < end && ch(pos) == 0x2e) {
    pos++;
    if (pos >= end || !isDigit(ch(pos))) return false;
    while (pos < end && isDigit(ch(pos))) pos++;
  }
  if (pos < end && (ch(pos) == 0x65 || ch(pos) == 0x45)) {
    pos++;
    if (pos < end && (ch(pos) == 0x2b || ch(pos) == 0x2d)) pos++;
    if (pos >= end || !isDigit(ch(pos))) return false;
    while (pos < end && isDigit(ch(pos))) pos++;
  }
  return true;
}

function parseWord(word: string): bool {
  for (let k = 0; k < word.length; k++) if (pos >= end || ch(pos++) != <i32>word.charCodeAt(k)) return false;
  return true;
}

/** Members of an object or elements of an array, up to `close`; keys are not values. */
function parseContainer(close: i32, keyed: bool, depth: i32): bool {
  pos++;
  skipSpace();
  if (pos < end && ch(pos) == close) {
    pos++;
    return true;
  }
  while (true) {
    if (keyed) {
      skipSpace();
      if (pos >= end || ch(pos) != 0x22 || !parseString()) return false;
      skipSpace();
      if (pos >= end || ch(pos++) != 0x3a) return false;
    }
    if (!parseValue(depth + 1)) return false;
    skipSpace();
    if (pos >= end) return false;
    const c = ch(pos++);
    if (c == close) return true;
    if (c != 0x2c) return false;
  }
}

function parseValue(depth: i32): bool {
  if (depth > MAX_DEPTH) return false;
  skipSpace();
  if (pos >= end) return false;
  const c = ch(pos);
  if (c == 0x7b) return parseContainer(0x7d, true, depth);
  if (c == 0x5b) return parseContainer(0x5d, false, depth);
  let parsed = false;
  if (c == 0x22) parsed = parseString();
  else if (c == 0x74) parsed = parseWord("true");
  else if (c == 0x66) parsed = parseWord("false");
  else if (c == 0x6e) parsed = parseWord("null");
  else parsed = parseNumber();
  if (parsed) scalars++;
  return parsed;
}

/** Scalars (strings, numbers, true/false/null) in a well-formed JSON document, or -1. */
function countScalars(ptr: usize, n: i32): i32 {
  src = ptr;
  end = n;
  pos = 0;
  scalars = 0;
  const valid = parseValue(0);
  skipSpace();
  return valid && pos == end ? scalars : -1;
}

/** The document's size in UTF-8 bytes (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(ptr: usize, n: i32): i32 {
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = <i32>load<u16>(ptr + (<usize>i << 1));
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const next = <i32>load<u16>(ptr + (<usize>(i + 1) << 1));
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export function count_values(ptr: usize, len: i32): i32 {
  sizes.observe(<f64>utf8Length(ptr, len));
  const result = countScalars(ptr, len);
  // The host lowered the document with cabi_realloc: unmanaged memory the
  // collector never frees. Without this, memory grows with every call.
  heap.free(ptr);
  if (result < 0) invalid.inc();
  else {
    ok.inc();
    values.observe(<f64>result);
  }
  flush();
  return result;
}

/** Canonical ABI allocator: the host lowers the JSON string into guest memory with it. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  // A first allocation has no old block: heap.realloc(0) would abort.
  return old == 0 ? heap.alloc(newSize) : heap.realloc(old, newSize);
}

export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
