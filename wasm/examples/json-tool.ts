import { Counter, Histogram, Summary, flush } from "../sdk/metrics";

const documents = new Counter("json_tool_documents_total", "Documents processed, by outcome.", ["status"]);
const ok = documents.labels(["ok"]);
const invalid = documents.labels(["invalid"]);
const sizes = new Histogram("json_tool_document_bytes", "Document sizes.", [64, 256, 1024, 4096], [], "bytes");
const values = new Summary("json_tool_values", "Scalar values per document.", [0.5, 0.9, 0.99]);

/** Counts scalars (strings, numbers, true/false/null) with a small validating scanner. */
function scan(text: string): i32 {
  let count = 0;
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c == 0x22) {
      i++;
      while (i < n && text.charCodeAt(i) != 0x22) i += text.charCodeAt(i) == 0x5c ? 2 : 1;
      if (i >= n) return -1;
      // A string followed by ':' is a key, not a value.
      let j = i + 1;
      while (j < n && (text.charCodeAt(j) == 0x20 || text.charCodeAt(j) == 0x0a)) j++;
      if (j >= n || text.charCodeAt(j) != 0x3a) count++;
      i++;
    } else if (c == 0x7b || c == 0x5b) {
      depth++;
      i++;
    } else if (c == 0x7d || c == 0x5d) {
      if (--depth < 0) return -1;
      i++;
    } else if ((c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x74 || c == 0x66 || c == 0x6e) {
      count++;
      while (i < n && !(text.charCodeAt(i) == 0x2c || text.charCodeAt(i) == 0x7d || text.charCodeAt(i) == 0x5d || text.charCodeAt(i) == 0x20)) i++;
    } else i++;
  }
  return depth == 0 ? count : -1;
}

export function count_values(ptr: usize, len: i32): i32 {
  const text = String.UTF16.decodeUnsafe(ptr, <usize>len << 1);
  sizes.observe(<f64>len);
  const result = scan(text);
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
  // A first allocation has no old block: realloc(0) would abort in the stub runtime.
  return old == 0 ? heap.alloc(newSize) : heap.realloc(old, newSize);
}

export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
