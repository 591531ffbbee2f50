/**
 * W3C Trace Context and Baggage carried in MCP `params._meta`, as the
 * conventions ask ("inject traceparent and tracestate to the MCP message
 * params._meta [...] and extract them on the receiver side"). Written here
 * rather than taken from @opentelemetry/core, which omnimeter does not ship;
 * the tests check it against that package's propagators both ways. Parsing
 * never throws: a malformed header is ignored, as the specifications require.
 */
import {
  type Baggage,
  type BaggageEntry,
  type Context,
  type SpanContext,
  baggageEntryMetadataFromString,
  createTraceState,
  isSpanContextValid,
  propagation,
  trace,
} from '@opentelemetry/api';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const BAGGAGE = 'baggage';

/** The W3C Baggage limits, counted in characters as @opentelemetry/core counts them. */
const BAGGAGE_MAX_MEMBERS = 180;
const BAGGAGE_MAX_MEMBER_LENGTH = 4096;
const BAGGAGE_MAX_LENGTH = 8192;

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A remote span context from a traceparent (and tracestate), or undefined when it is not valid. */
export function parseTraceparent(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT_RE.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string?];
  // Version ff is invalid; version 00 has exactly four fields; later versions may add fields after a '-'.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const context: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
  if (!isSpanContextValid(context)) return undefined;
  if (typeof tracestate === 'string' && tracestate.length > 0) {
    try {
      context.traceState = createTraceState(tracestate);
    } catch {
      // a tracestate that does not parse is dropped; the traceparent still stands
    }
  }
  return context;
}

export function formatBaggage(baggage: Baggage): string | undefined {
  let out = '';
  let members = 0;
  for (const [key, entry] of baggage.getAllEntries()) {
    let member = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`;
    if (entry.metadata !== undefined) member += `;${entry.metadata.toString()}`;
    if (member.length > BAGGAGE_MAX_MEMBER_LENGTH) continue;
    const next = out ? `${out},${member}` : member;
    if (next.length > BAGGAGE_MAX_LENGTH || ++members > BAGGAGE_MAX_MEMBERS) break;
    out = next;
  }
  return out || undefined;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * A baggage header, parsed as @opentelemetry/core parses it: members split
 * at ',', properties after the first ';', key and value trimmed and
 * percent-decoded, members with an empty key or value (or a bad escape)
 * dropped, at most 180 members and 8192 characters.
 */
export function parseBaggage(header: unknown): Baggage | undefined {
  if (typeof header !== 'string' || header.length === 0) return undefined;
  // Keys come from the peer: a null-prototype object keeps `__proto__` (and `constructor`...) as plain keys.
  const entries: Record<string, BaggageEntry> = Object.create(null);
  let count = 0;
  let length = 0;
  for (const member of header.split(',')) {
    if (count >= BAGGAGE_MAX_MEMBERS) break;
    if (member.length > BAGGAGE_MAX_MEMBER_LENGTH) continue;
    const semicolon = member.indexOf(';');
    const pair = semicolon === -1 ? member : member.slice(0, semicolon);
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const rawKey = pair.slice(0, eq).trim();
    const rawValue = pair.slice(eq + 1).trim();
    if (!rawKey || !rawValue) continue;
    const key = decode(rawKey);
    const value = decode(rawValue);
    if (key === undefined || value === undefined) continue;
    const size = (count === 0 ? 0 : 1) + member.length;
    if (length + size > BAGGAGE_MAX_LENGTH) break;
    length += size;
    count++;
    const entry: BaggageEntry = { value };
    if (semicolon !== -1 && semicolon < member.length - 1) entry.metadata = baggageEntryMetadataFromString(member.slice(semicolon + 1));
    entries[key] = entry;
  }
  return count > 0 ? propagation.createBaggage(entries) : undefined;
}

type Meta = Record<string, unknown>;

/** The `_meta` fields that carry `ctx`: its span's traceparent/tracestate and its baggage. None when it has neither. */
export function contextFields(ctx: Context): Meta | undefined {
  let fields: Meta | undefined;
  const span = trace.getSpanContext(ctx);
  if (span && isSpanContextValid(span)) {
    fields = { [TRACEPARENT]: formatTraceparent(span) };
    const state = span.traceState?.serialize();
    if (state) fields[TRACESTATE] = state;
  }
  const bag = propagation.getBaggage(ctx);
  const header = bag && formatBaggage(bag);
  if (header) (fields ??= {})[BAGGAGE] = header;
  return fields;
}

/** `base` with the remote span and baggage `_meta` carries, or undefined when it carries neither. */
export function extractContext(base: Context, meta: Meta | undefined): Context | undefined {
  if (meta === undefined || meta === null || typeof meta !== 'object') return undefined;
  let ctx: Context | undefined;
  const remote = parseTraceparent(meta[TRACEPARENT], meta[TRACESTATE]);
  if (remote) ctx = trace.setSpanContext(base, remote);
  const bag = parseBaggage(meta[BAGGAGE]);
  if (bag) ctx = propagation.setBaggage(ctx ?? base, bag);
  return ctx;
}
