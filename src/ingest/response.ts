/**
 * What `/ingest` answers, independent of the HTTP server that sends it (a
 * node:http listener or a fetch-style handler). Bodies are bounded: a
 * refusal explains itself without echoing what was sent.
 */
import type { RefusalReason } from './admission.js';

export interface IngestResponse {
  status: number;
  headers: Record<string, string>;
  /** Text or JSON; absent for 204. */
  body?: string;
}

/** Longest refusal body: a few issues, each clipped. */
const MAX_BODY = 2048;
const MAX_LINE = 200;

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/** A plain-text refusal whose lines are clipped and whose length is bounded. */
export function refusal(status: number, message: string, headers: Record<string, string> = {}): IngestResponse {
  const lines = message.split('\n').map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l));
  let body = '';
  for (let i = 0; i < lines.length; i++) {
    const next = `${lines[i]}\n`;
    if (body.length + next.length > MAX_BODY) {
      body += `… (${lines.length - i} more lines)\n`;
      break;
    }
    body += next;
  }
  return { status, headers: { ...TEXT, ...headers }, body };
}

/**
 * The answer to a push that was read and validated: 204 when everything was
 * merged; 200 with a JSON account when part was refused; 422 with the same
 * account when nothing could be merged.
 */
export function mergeResponse(
  accepted: number,
  refused: ReadonlyMap<RefusalReason | string, number>,
  examples: readonly string[],
): IngestResponse {
  const refusedCount = [...refused.values()].reduce((a, b) => a + b, 0);
  if (refusedCount === 0) return { status: 204, headers: {} };
  const body = JSON.stringify({
    accepted: { series: accepted },
    refused: { series: refusedCount, reasons: Object.fromEntries(refused) },
    examples: examples.map((e) => (e.length > MAX_LINE ? `${e.slice(0, MAX_LINE)}…` : e)),
  });
  return { status: accepted > 0 ? 200 : 422, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}
