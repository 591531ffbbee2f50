/**
 * The HTTP side of `/ingest`: who may push from a browser (Origin), CORS
 * preflights, reading a bounded body, and sending what the gate answers.
 * Admission itself (limits, rate limits, expiry, the answer's shape) is the
 * gate's (src/ingest).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IngestGate } from '../ingest/gate.js';
import type { IngestResponse } from '../ingest/response.js';

export interface IngestRoute {
  path: string;
  /** Other origins whose pages may push (CORS), or "*"; same-origin pages and non-browser clients always may. */
  origins?: readonly string[];
  gate: Pick<IngestGate, 'begin' | 'reserve' | 'release' | 'busy' | 'accept' | 'count' | 'limits'>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

/** host:port pairs a page served by this listener would have as its origin. */
function ownOrigins(req: IncomingMessage): Set<string> {
  const address = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  const port = String(req.socket.localPort ?? '');
  const hosts = [address.includes(':') ? `[${address}]` : address];
  if (LOOPBACK.test(address)) hosts.push('localhost'); // browsers resolve localhost to loopback only
  return new Set(hosts.map((h) => `${h}:${port}`));
}

/**
 * Who may push: clients that send no Origin (not a browser), pages served by
 * this listener's own address, and the configured origins. The Host header
 * is not consulted: a DNS-rebinding page sends its own name there. Anything
 * else is refused before the body is read, so a page elsewhere cannot feed
 * the collector with a simple (preflight-free) request. Returns the CORS
 * headers for an allowed other origin.
 */
export function ingestOrigin(req: IncomingMessage, origins: readonly string[]): { allowed: boolean; headers: Record<string, string> } {
  const origin = req.headers.origin;
  if (origin === undefined) return { allowed: true, headers: {} };
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (url && /^https?:$/.test(url.protocol)) {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    if (ownOrigins(req).has(`${url.hostname}:${port}`)) return { allowed: true, headers: {} };
  }
  if (!origins.includes('*') && !origins.includes(origin)) return { allowed: false, headers: {} };
  return { allowed: true, headers: { 'access-control-allow-origin': origin, vary: 'Origin' } };
}

type Body = { outcome: 'read'; text: string } | { outcome: 'too_large' | 'busy' | 'aborted' };

/**
 * Reads a request body up to the gate's maxBytes, each chunk reserved
 * against the gate's buffered-bytes bound. Returns what was reserved with
 * the outcome: the caller releases it once the text is parsed (or dropped).
 * A body that is too large or cannot be reserved is drained, not kept.
 */
function readBody(req: IncomingMessage, gate: IngestRoute['gate']): Promise<Body & { reserved: number }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let reserved = 0;
    const stop = (outcome: 'too_large' | 'busy') => {
      req.off('data', onData);
      req.resume();
      resolve({ outcome, reserved });
    };
    const onData = (chunk: Buffer) => {
      if (reserved + chunk.length > gate.limits.maxBytes) return stop('too_large');
      if (!gate.reserve(chunk.length)) return stop('busy');
      reserved += chunk.length;
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve({ outcome: 'read', text: Buffer.concat(chunks).toString('utf8'), reserved }));
    // A client that goes away mid-body: an 'aborted' error, then close. What it sent is released all the same.
    req.on('error', () => resolve({ outcome: 'aborted', reserved }));
    req.on('close', () => req.complete || resolve({ outcome: 'aborted', reserved }));
  });
}

function send(res: ServerResponse, answer: IngestResponse, cors: Record<string, string>): void {
  res.writeHead(answer.status, { ...cors, ...answer.headers }).end(answer.body);
}

function tooLarge(route: IngestRoute): IngestResponse {
  const body = `snapshot larger than ${route.gate.limits.maxBytes} bytes\n`;
  return { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

/**
 * Answers without reading the body: what arrives is discarded (so the answer
 * is not lost to a reset) and the connection closes after the answer.
 */
function refuseUnread(req: IncomingMessage, res: ServerResponse, answer: IngestResponse, cors: Record<string, string>): void {
  req.resume();
  res.setHeader('connection', 'close');
  send(res, answer, cors);
}

/** Answers a request to the ingest path (any method), after the origin was allowed. */
export async function handleIngest(req: IncomingMessage, res: ServerResponse, url: URL, route: IngestRoute, cors: Record<string, string>) {
  if (req.method !== 'POST') {
    return send(
      res,
      {
        status: 405,
        headers: { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' },
        body: 'method not allowed: POST a JSON snapshot\n',
      },
      cors,
    );
  }
  const { gate } = route;
  const source = url.searchParams.get('source') ?? 'browser';
  const declared = Number(req.headers['content-length']);
  if (declared > gate.limits.maxBytes) {
    // Known too large before reading: refuse without taking a rate-limit token, and close (the body is not read).
    route.gate.count('too_large');
    return refuseUnread(req, res, tooLarge(route), cors);
  }
  const refused = gate.begin(source);
  if (refused) return refuseUnread(req, res, refused, cors);
  const body = await readBody(req, gate);
  try {
    if (body.outcome === 'read') return send(res, gate.accept(source, body.text), cors);
    if (body.outcome === 'busy') return refuseUnread(req, res, gate.busy(), cors);
    if (body.outcome === 'too_large') {
      gate.count('too_large');
      return refuseUnread(req, res, tooLarge(route), cors);
    }
  } finally {
    gate.release(body.reserved);
  }
}
