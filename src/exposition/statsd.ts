/**
 * StatsD line protocol: names and tags sanitised for the protocol, the three
 * tag flavours, and packing into datagrams no larger than the MTU.
 */

export type StatsdFlavor = 'etsy' | 'dogstatsd' | 'telegraf';
export type StatsdType = 'c' | 'g' | 'ms' | 'h' | 's';
export type Tags = readonly (readonly [string, string])[];

/** Characters that separate fields in some flavour; replaced in names and tags. */
const RESERVED = /[:|@#,;=\s\\]/g;

export function sanitizeName(name: string): string {
  return name.replace(RESERVED, '_');
}

function sanitizeTag(text: string): string {
  return text.replace(RESERVED, '_');
}

/** One line: `name[tags]:value|type[|@rate][|#tags]` in the flavour's syntax. */
export function statsdLine(
  name: string,
  value: number | string,
  type: StatsdType,
  tags: Tags,
  flavor: StatsdFlavor,
  sampleRate = 1,
): string {
  let key = sanitizeName(name);
  const v = typeof value === 'number' ? String(value) : value.replace(RESERVED, '_');
  const rate = sampleRate < 1 ? `|@${sampleRate}` : '';
  if (tags.length === 0) return `${key}:${v}|${type}${rate}`;
  if (flavor === 'dogstatsd') {
    return `${key}:${v}|${type}${rate}|#${tags.map(([k, t]) => `${sanitizeTag(k)}:${sanitizeTag(t)}`).join(',')}`;
  }
  const sep = flavor === 'telegraf' ? ',' : ';'; // etsy: graphite 1.1 tags, which statsd 0.9 keeps
  key += tags.map(([k, t]) => `${sep}${sanitizeTag(k)}=${sanitizeTag(t)}`).join('');
  return `${key}:${v}|${type}${rate}`;
}

/** True when StatsD's `1 / rate` gives back exactly `count`, so a scaled count arrives exact. */
function exactRate(count: number): boolean {
  return 1 / Number(String(1 / count)) === count;
}

/**
 * Splits `count` observations into parts that each arrive exactly as one
 * sampled line (`@1/part`): StatsD adds 1/rate per line, and 1/(1/k) is not
 * k for about one integer in six, so those are sent as two or more parts.
 */
export function exactParts(count: number): number[] {
  const parts: number[] = [];
  let left = Math.round(count);
  while (left > 0) {
    let part = left;
    while (part > 1 && !exactRate(part)) part--;
    parts.push(part);
    left -= part;
  }
  return parts;
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Joins lines with newlines into payloads of at most `mtu` bytes (a longer single line goes alone). */
export function packLines(lines: readonly string[], mtu: number): string[] {
  const packets: string[] = [];
  let current = '';
  let size = 0;
  for (const line of lines) {
    const n = utf8Length(line);
    if (current && size + 1 + n > mtu) {
      packets.push(current);
      current = '';
      size = 0;
    }
    current = current ? `${current}\n${line}` : line;
    size += (size ? 1 : 0) + n;
  }
  if (current) packets.push(current);
  return packets;
}
