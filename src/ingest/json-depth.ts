/**
 * Whether JSON text nests deeper than `max`, found by one scan without
 * parsing: a megabyte of `[[[[…` takes JSON.parse about half a second here
 * and a snapshot needs a depth of 6, so such bodies are refused before the
 * parser sees them.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
