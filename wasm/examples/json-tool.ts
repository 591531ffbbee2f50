import { Counter, Histogram, Summary, flush } from "../sdk/metrics";

const documents = new Counter("json_tool_documents_total", "Documents processed, by outcome.", ["status"]);
const ok = documents.labels(["ok"]);
const invalid = documents.labels(["invalid"]);
const sizes = new Histogram("json_tool_document_bytes", "Document sizes.", [64, 256, 1024, 4096], [], "bytes");
const values = new Summary("json_tool_values", "Scalar values per document.", [0.5, 0.9, 0.99]);

/** The i-th UTF-16 code unit of the document, read where the host lowered it. */
@inline function ch(ptr: usize, i: i32): i32 {
  return <i32>load<u16>(ptr + (<usize>i << 1));
}

/**
 * Counts scalars (strings, numbers, true/false/null) with a small validating
 * scanner, in place: no copy of the document is made.
 */
function scan(ptr: usize, n: i32): i32 {
  let count = 0;
  let depth = 0;
  let i = 0;
  while (i < n) {
    const c = ch(ptr, i);
    if (c == 0x22) {
      i++;
      while (i < n && ch(ptr, i) != 0x22) i += ch(ptr, i) == 0x5c ? 2 : 1;
      if (i >= n) return -1;
      // A string followed by ':' is a key, not a value.
      let j = i + 1;
      while (j < n && (ch(ptr, j) == 0x20 || ch(ptr, j) == 0x0a)) j++;
      if (j >= n || ch(ptr, j) != 0x3a) count++;
      i++;
    } else if (c == 0x7b || c == 0x5b) {
      depth++;
      i++;
    } else if (c == 0x7d || c == 0x5d) {
      if (--depth < 0) return -1;
      i++;
    } else if ((c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x74 || c == 0x66 || c == 0x6e) {
      count++;
      while (i < n && !(ch(ptr, i) == 0x2c || ch(ptr, i) == 0x7d || ch(ptr, i) == 0x5d || ch(ptr, i) == 0x20)) i++;
    } else i++;
  }
  return depth == 0 ? count : -1;
}

export function count_values(ptr: usize, len: i32): i32 {
  sizes.observe(<f64>len);
  const result = scan(ptr, len);
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
