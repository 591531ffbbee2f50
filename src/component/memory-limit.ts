/**
 * Lowers the maximum of the linear memories a core module defines, so a
 * guest that allocates without end meets `memory.grow` failing at the limit
 * (and traps, or copes) instead of taking the host's memory. A rewrite of
 * the memory section only: sections are length-prefixed, so nothing else
 * moves. Imported memories are limited where they are defined.
 */

const PAGE = 65_536;
const MEMORY_SECTION = 5;

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error('truncated WebAssembly module');
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** The memory section's entries with every 32-bit memory's maximum at most `maxPages`. */
function limitEntries(content: Uint8Array, maxPages: number): number[] {
  let [count, at] = readLeb(content, 0);
  const out = leb(count);
  while (count-- > 0) {
    const entry = at;
    const flags = content[at++]!;
    const [min, afterMin] = readLeb(content, at);
    let max: number | undefined;
    [max, at] = flags & 1 ? readLeb(content, afterMin) : [undefined, afterMin];
    if (flags & 4) {
      out.push(...content.subarray(entry, at)); // memory64 (u64 limits): left as declared
      continue;
    }
    if (min > maxPages) throw new Error(`the module needs ${min * PAGE} bytes of memory at start, over the limit of ${maxPages * PAGE}`);
    out.push(flags | 1, ...leb(min), ...leb(Math.min(max ?? maxPages, maxPages)));
  }
  return out;
}

/** The module's bytes with its memories capped at `maxBytes` (rounded down to whole 64 KiB pages). */
export function limitMemory(module: Uint8Array<ArrayBuffer>, maxBytes: number): Uint8Array<ArrayBuffer> {
  const maxPages = Math.floor(maxBytes / PAGE);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let at = 8;
  while (at < module.length) {
    const id = module[at]!;
    const [size, start] = readLeb(module, at + 1);
    const end = start + size;
    if (id === MEMORY_SECTION) {
      const entries = limitEntries(module.subarray(start, end), maxPages);
      parts.push(new Uint8Array([id, ...leb(entries.length), ...entries]));
    } else parts.push(module.subarray(at, end));
    at = end;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) out.set(p, (offset += p.length) - p.length);
  return out;
}
