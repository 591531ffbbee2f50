/**
 * UTF-8 length of a string without encoding it. Node's Buffer.byteLength
 * when there is one (native); elsewhere a scan, with an ASCII fast path. A
 * lone surrogate counts 3 bytes, as its U+FFFD replacement.
 */
const nodeByteLength = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer?.byteLength;

const NON_ASCII = /[\u0080-\uffff]/;

export function utf8BytesScanned(text: string): number {
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // the pair: 2 code units, 4 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

export const utf8Bytes: (text: string) => number = nodeByteLength ? (text) => nodeByteLength(text, 'utf8') : utf8BytesScanned;
