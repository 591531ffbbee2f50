/**
 * What the metrics endpoint answers, separate from the listener that
 * receives requests (server.ts): routing, credentials, scrapes (scrape.ts)
 * and pushes (ingest-route.ts). A listener of any kind can hand requests to it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpositionFormat, MetricsRegistry } from '../api/metrics.js';
import { acceptsGzip, negotiateFormat, prefersProtobuf } from '../exposition/negotiate.js';
import { type Health, healthResponse, wantsJson } from '../health/index.js';
import { type IngestRoute, handleIngest, ingestOrigin } from './ingest-route.js';
import { type ScrapeKind, type ScrapeSink, Scraper } from './scrape.js';

export type Credentials = { bearerToken: string } | { username: string; password: string };

export interface HandlerOptions {
  /** Default /metrics; the JSON snapshot is at `<path>.json`. */
  path?: string;
  /** "auto" negotiates from Accept (default); the others force one format. */
  format?: 'auto' | ExpositionFormat;
  /** Require a bearer token or basic-auth credentials on every request. */
  auth?: Credentials;
  /** Scrapes answered at once; beyond it 503 with Retry-After. Default 256. */
  maxConcurrentScrapes?: number;
  /** Accept pushed JSON snapshots (POST) at `ingest.path`; off unless given. */
  ingest?: IngestRoute;
  /** Serve liveness and readiness (never behind `auth`: probes carry no credentials). */
  health?: HealthRoutes;
}

export interface HealthRoutes {
  health: Pick<Health, 'liveness' | 'readiness'>;
  livenessPath: string;
  readinessPath: string;
}

/**
 * `(req, res, next?)`: answers its `routes`; any other path goes to `next`
 * when given (Express, Connect), else gets 404.
 */
export type RequestHandler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => Promise<void>) & {
  readonly routes: readonly string[];
};

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/** Constant-time comparison, so a wrong credential reveals nothing through timing. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether an Authorization header value satisfies `auth` (always, without auth). */
export function authorized(authorization: string | undefined, auth: Credentials | undefined): boolean {
  if (!auth) return true;
  const header = authorization ?? '';
  if ('bearerToken' in auth) return header.startsWith('Bearer ') && same(header.slice(7), auth.bearerToken);
  if (!header.startsWith('Basic ')) return false;
  return same(Buffer.from(header.slice(6), 'base64').toString('utf8'), `${auth.username}:${auth.password}`);
}

export function unauthorizedHeaders(auth: Credentials | undefined): Record<string, string> {
  return { 'www-authenticate': auth && 'bearerToken' in auth ? 'Bearer' : 'Basic realm="metrics"' };
}

/** JSON at `<path>.json`; else the format the query, the configuration or Accept asks for. */
export function scrapeKind(url: URL, path: string, accept: string | undefined, forced: HandlerOptions['format']): ScrapeKind {
  if (url.pathname === `${path}.json`) return 'json';
  const query = url.searchParams.get('format');
  if (query === 'openmetrics' || query === 'prometheus' || query === 'protobuf') return query;
  if (forced && forced !== 'auto') return forced;
  return prefersProtobuf(accept) ? 'protobuf' : negotiateFormat(accept);
}

/** /healthz or /readyz: 503 when unhealthy, 200 otherwise (with reasons), JSON on request. */
export async function healthAnswer(routes: HealthRoutes, url: URL, accept: string | undefined) {
  const scope = url.pathname === routes.readinessPath ? 'readiness' : 'liveness';
  const report = scope === 'readiness' ? await routes.health.readiness() : await routes.health.liveness();
  return healthResponse(report, scope, wantsJson(accept, url.searchParams.get('format')));
}

/** The paths a handler with these options answers. */
export function handlerRoutes(options: HandlerOptions): string[] {
  const path = options.path ?? '/metrics';
  const h = options.health;
  return [path, `${path}.json`, ...(h ? [h.livenessPath, h.readinessPath] : []), ...(options.ingest ? [options.ingest.path] : [])];
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
  if (!authorized(req.headers.authorization, auth)) {
    route.gate.count('unauthorized');
    return void res.writeHead(401, { ...origin.headers, ...TEXT }).end('unauthorized\n');
  }
  return handleIngest(req, res, url, route, origin.headers);
}

/** A scrape's answer written to a node:http response as it comes, waiting for 'drain' when the client reads slowly. */
function responseSink(req: IncomingMessage, res: ServerResponse): ScrapeSink {
  const head = req.method === 'HEAD';
  return {
    start: (status, headers) => void res.writeHead(status, headers),
    write(chunk) {
      if (res.write(chunk)) return undefined;
      return new Promise((resolve) => {
        const done = () => {
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.on('drain', done).on('close', done);
      });
    },
    end: () => void res.end(),
    abort: () => void res.destroy(), // the client sees a cut body, never a complete-looking one
    get closed() {
      return head || res.destroyed;
    },
  };
}

/** The endpoint's request handler; validate options before calling (serveMetrics does). */
export function metricsHandler(registry: MetricsRegistry, options: HandlerOptions = {}): RequestHandler {
  const path = options.path ?? '/metrics';
  const scraper = new Scraper(registry, options.maxConcurrentScrapes ?? 256);
  const routes = handlerRoutes(options);
  const health = options.health;
  const handle = async (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!routes.includes(url.pathname)) return next ? next() : void res.writeHead(404, TEXT).end('not found\n');
    if (options.ingest && url.pathname === options.ingest.path) return routeIngest(req, res, url, options.ingest, options.auth);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return void res.writeHead(405, { allow: 'GET, HEAD', ...TEXT }).end('method not allowed\n');
    if (health && (url.pathname === health.livenessPath || url.pathname === health.readinessPath)) {
      const answer = await healthAnswer(health, url, req.headers.accept);
      return void res.writeHead(answer.status, answer.headers).end(req.method === 'HEAD' ? undefined : answer.body);
    }
    if (!authorized(req.headers.authorization, options.auth))
      return void res.writeHead(401, { ...unauthorizedHeaders(options.auth), ...TEXT }).end('unauthorized\n');
    await scraper.scrape(
      scrapeKind(url, path, req.headers.accept, options.format),
      acceptsGzip(req.headers['accept-encoding']),
      responseSink(req, res),
    );
  };
  const handler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) =>
    handle(req, res, next).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, TEXT);
      // The message only: a stack or the input would tell a client more than it needs.
      res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  return Object.assign(handler, { routes });
}
