/**
 * What the metrics endpoint answers, separate from the listener that
 * receives requests (server.ts): routing, credentials, scrapes (scrape.ts)
 * and pushes (ingest-route.ts). A listener of any kind can hand requests to it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpositionFormat, MetricsRegistry } from '../api/metrics.js';
import { acceptsGzip, negotiateFormat } from '../exposition/negotiate.js';
import { type IngestRoute, handleIngest, ingestOrigin } from './ingest-route.js';
import { Scraper } from './scrape.js';

export type Credentials = { bearerToken: string } | { username: string; password: string };

export interface HandlerOptions {
  /** Default /metrics; the JSON snapshot is at `<path>.json`. */
  path?: string;
  /** "auto" negotiates from Accept (default); the others force one format. */
  format?: 'auto' | ExpositionFormat;
  /** Require a bearer token or basic-auth credentials on every request. */
  auth?: Credentials;
  /** Scrapes answered at once; beyond it 503 with Retry-After. Default 32. */
  maxConcurrentScrapes?: number;
  /** Accept pushed JSON snapshots (POST) at `ingest.path`; off unless given. */
  ingest?: IngestRoute;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/** Constant-time comparison, so a wrong credential reveals nothing through timing. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authorized(req: IncomingMessage, auth: Credentials | undefined): boolean {
  if (!auth) return true;
  const header = req.headers.authorization ?? '';
  if ('bearerToken' in auth) return header.startsWith('Bearer ') && same(header.slice(7), auth.bearerToken);
  if (!header.startsWith('Basic ')) return false;
  return same(Buffer.from(header.slice(6), 'base64').toString('utf8'), `${auth.username}:${auth.password}`);
}

function formatFor(req: IncomingMessage, url: URL, forced: HandlerOptions['format']): ExpositionFormat {
  const query = url.searchParams.get('format');
  if (query === 'openmetrics' || query === 'prometheus') return query;
  if (forced && forced !== 'auto') return forced;
  return negotiateFormat(req.headers.accept);
}

/** CORS preflight, origin and credential checks in front of the ingest route. */
function routeIngest(req: IncomingMessage, res: ServerResponse, url: URL, route: IngestRoute, auth: Credentials | undefined) {
  const origin = ingestOrigin(req, route.origins ?? []);
  if (!origin.allowed) {
    route.gate.count('origin');
    return void res.writeHead(403, TEXT).end("this origin may not push here (the ingest endpoint's origins)\n");
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
  if (!authorized(req, auth)) {
    route.gate.count('unauthorized');
    return void res.writeHead(401, { ...origin.headers, ...TEXT }).end('unauthorized\n');
  }
  return handleIngest(req, res, url, route, origin.headers);
}

/** The endpoint's request handler; validate options before calling (serveMetrics does). */
export function metricsHandler(registry: MetricsRegistry, options: HandlerOptions = {}): RequestHandler {
  const path = options.path ?? '/metrics';
  const scraper = new Scraper(registry, options.maxConcurrentScrapes ?? 32);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.ingest && url.pathname === options.ingest.path) return routeIngest(req, res, url, options.ingest, options.auth);
    const json = url.pathname === `${path}.json`;
    if (url.pathname !== path && !json) return void res.writeHead(404, TEXT).end('not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return void res.writeHead(405, { allow: 'GET, HEAD', ...TEXT }).end('method not allowed\n');
    if (!authorized(req, options.auth)) {
      const scheme = options.auth && 'bearerToken' in options.auth ? 'Bearer' : 'Basic realm="metrics"';
      return void res.writeHead(401, { 'www-authenticate': scheme, ...TEXT }).end('unauthorized\n');
    }
    const answer = await scraper.answer(json ? 'json' : formatFor(req, url, options.format), acceptsGzip(req.headers['accept-encoding']));
    res.writeHead(answer.status, answer.headers);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  };
  return (req, res) =>
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, TEXT);
      // The message only: a stack or the input would tell a client more than it needs.
      res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
}
