import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ExpositionFormat, MetricsRegistry } from '../api/metrics.js';
import { CONTENT_TYPES } from '../exposition/text.js';
import { toJsonSnapshot } from '../exposition/json.js';
import { acceptsGzip, negotiateFormat } from '../exposition/negotiate.js';

const gzipAsync = promisify(gzip);

export interface ServeOptions {
  /** Default 9464 (the port registered for Prometheus exporters of OpenTelemetry); 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1: metrics are not published beyond the machine unless asked. */
  host?: string;
  /** Default /metrics. */
  path?: string;
  /** "auto" negotiates from Accept (default); the others force one format. */
  format?: 'auto' | ExpositionFormat;
  /** Require a bearer token or basic-auth credentials on every request. */
  auth?: { bearerToken: string } | { username: string; password: string };
  /**
   * Accept pushed JSON snapshots (POST) at `path`; off unless given. The body
   * is size-limited, validated, and handed to `accept` with its source (the
   * `source` query parameter, default "browser").
   */
  ingest?: {
    path: string;
    maxBytes: number;
    /** Other origins whose pages may push (CORS), or "*"; same-origin pages and non-browser clients always may. */
    origins?: readonly string[];
    accept(source: string, body: unknown): { ok: true } | { ok: false; status: number; message: string };
  };
}

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Bodies at least this large are worth gzipping when the client allows it. */
const GZIP_MIN_BYTES = 1024;

function formatFor(req: IncomingMessage, url: URL, forced: ServeOptions['format']): ExpositionFormat {
  const query = url.searchParams.get('format');
  if (query === 'openmetrics' || query === 'prometheus') return query;
  if (forced && forced !== 'auto') return forced;
  return negotiateFormat(req.headers.accept);
}

/** Constant-time comparison, so a wrong credential reveals nothing through timing. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authorized(req: IncomingMessage, auth: ServeOptions['auth']): boolean {
  if (!auth) return true;
  const header = req.headers.authorization ?? '';
  if ('bearerToken' in auth) return header.startsWith('Bearer ') && same(header.slice(7), auth.bearerToken);
  if (!header.startsWith('Basic ')) return false;
  return same(Buffer.from(header.slice(6), 'base64').toString('utf8'), `${auth.username}:${auth.password}`);
}

type Resolved = Required<Omit<ServeOptions, 'auth' | 'ingest'>> & Pick<ServeOptions, 'auth' | 'ingest'>;

const SOURCE = /^[\w.:-]{1,64}$/;

/** Reads a request body up to `max` bytes; undefined when it is larger. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // Stop buffering; drain the rest so the 413 answer reaches the client.
        req.off('data', onData);
        req.resume();
        resolve(undefined);
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Who may push: clients that send no Origin (not a browser), pages served by
 * this host, and the configured origins. Anything else is refused before the
 * body is read, so a page elsewhere cannot feed the collector with a simple
 * (preflight-free) request. Returns the CORS headers for an allowed other origin.
 */
function ingestOrigin(req: IncomingMessage, origins: readonly string[]): { allowed: boolean; headers: Record<string, string> } {
  const origin = req.headers.origin;
  if (origin === undefined || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`)
    return { allowed: true, headers: {} };
  if (!origins.includes('*') && !origins.includes(origin)) return { allowed: false, headers: {} };
  return { allowed: true, headers: { 'access-control-allow-origin': origin, vary: 'Origin' } };
}

async function ingest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: NonNullable<ServeOptions['ingest']>,
  cors: Record<string, string>,
) {
  const text = (status: number, message: string) =>
    res.writeHead(status, { ...cors, 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
  if (req.method !== 'POST') return text(405, 'method not allowed: POST a JSON snapshot');
  const source = url.searchParams.get('source') ?? 'browser';
  if (!SOURCE.test(source)) return text(400, `source: expected 1-64 of [A-Za-z0-9_.:-], got ${JSON.stringify(source)}`);
  const body = await readBody(req, options.maxBytes);
  if (!body) {
    res.setHeader('connection', 'close');
    return text(413, `snapshot larger than ${options.maxBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return text(400, 'body: expected JSON');
  }
  const result = options.accept(source, parsed);
  if (!result.ok) return text(result.status, result.message);
  res.writeHead(204, cors).end();
}

async function respond(registry: MetricsRegistry, req: IncomingMessage, res: ServerResponse, options: Resolved) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (options.ingest && url.pathname === options.ingest.path) {
    const origin = ingestOrigin(req, options.ingest.origins ?? []);
    if (!origin.allowed) {
      return void res
        .writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`origin ${req.headers.origin} may not push here (the ingest endpoint's origins)\n`);
    }
    if (req.method === 'OPTIONS') {
      // A CORS preflight carries no credentials: answered before auth.
      const preflight = {
        ...origin.headers,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
      };
      return void res.writeHead(204, preflight).end();
    }
    if (!authorized(req, options.auth))
      return void res.writeHead(401, { ...origin.headers, 'content-type': 'text/plain; charset=utf-8' }).end('unauthorized\n');
    return ingest(req, res, url, options.ingest, origin.headers);
  }
  const json = url.pathname === `${options.path}.json`;
  if (url.pathname !== options.path && !json) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  if (!authorized(req, options.auth)) {
    const scheme = options.auth && 'bearerToken' in options.auth ? 'Bearer' : 'Basic realm="metrics"';
    res.writeHead(401, { 'www-authenticate': scheme, 'content-type': 'text/plain; charset=utf-8' }).end('unauthorized\n');
    return;
  }
  const format = formatFor(req, url, options.format);
  const text = json ? JSON.stringify(toJsonSnapshot(await registry.collect(), Date.now())) : await registry.expose(format);
  let body: Buffer = Buffer.from(text, 'utf8');
  const headers: Record<string, string> = {
    'content-type': json ? 'application/json; charset=utf-8' : CONTENT_TYPES[format],
    vary: 'Accept, Accept-Encoding',
  };
  if (body.length >= GZIP_MIN_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
    body = await gzipAsync(body); // zlib's thread pool: the event loop stays free
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Serves the registry over HTTP; resolves once listening. */
export async function serveMetrics(registry: MetricsRegistry, options: ServeOptions = {}): Promise<MetricsServer> {
  const resolved: Resolved = {
    port: options.port ?? 9464,
    host: options.host ?? '127.0.0.1',
    path: options.path ?? '/metrics',
    format: options.format ?? 'auto',
    auth: options.auth,
    ingest: options.ingest,
  };
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) {
    throw new RangeError(`serve: port: expected an integer 0-65535, got ${String(options.port)}`);
  }
  if (!resolved.path.startsWith('/'))
    throw new RangeError(`serve: path: expected a path starting with "/", got ${JSON.stringify(resolved.path)}`);
  const server: Server = createServer((req, res) => {
    respond(registry, req, res, resolved).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  return {
    url: `http://${host}:${port}${resolved.path}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
