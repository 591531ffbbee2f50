/**
 * The endpoint as a fetch-style handler, `(Request) => Promise<Response>`,
 * for Hono, Bun, Deno and Workers: the same routes, scraper, credentials,
 * health answers and ingest gate as the node:http handler
 * (request-handler.ts). Mount it on `handler.routes`; other paths get 404.
 * A fetch handler does not see the listener's address, so a browser page may
 * push to /ingest only from an origin listed in `ingest.origins` (or "*");
 * clients that send no Origin always may.
 */
import { acceptsGzip } from '../exposition/negotiate.js';
import type { IngestRoute } from './ingest-route.js';
import { type HandlerOptions, authorized, healthAnswer, scrapeKind, unauthorizedHeaders } from './request-handler.js';
import { type ScrapeKind, type ScrapeSink, Scraper } from './scrape.js';
import type { MetricsRegistry } from '../api/metrics.js';

export type FetchHandler = ((request: Request) => Promise<Response>) & { readonly routes: readonly string[] };

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };
const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(`${body}\n`, { status, headers: { ...headers, ...TEXT } });

/** The body, or 'too_large' past `max` bytes (reading stops there). */
/**
 * Reads a body up to the gate's maxBytes, each chunk reserved against its
 * buffered-bytes bound (as the node:http route does); the caller releases
 * what was reserved once the body is parsed or dropped.
 */
async function readLimited(
  request: Request,
  gate: IngestRoute['gate'],
): Promise<{ outcome: 'read' | 'too_large' | 'busy'; body?: Uint8Array; reserved: number }> {
  if (!request.body) return { outcome: 'read', body: new Uint8Array(), reserved: 0 };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let reserved = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { outcome: 'read', body: Buffer.concat(chunks), reserved };
    const outcome = reserved + value.length > gate.limits.maxBytes ? 'too_large' : gate.reserve(value.length) ? undefined : 'busy';
    if (outcome) {
      await reader.cancel();
      return { outcome, reserved };
    }
    reserved += value.length;
    chunks.push(value);
  }
}

async function ingest(request: Request, url: URL, route: IngestRoute, auth: HandlerOptions['auth']): Promise<Response> {
  const origin = request.headers.get('origin');
  const origins = route.origins ?? [];
  if (origin !== null && !origins.includes('*') && !origins.includes(origin)) {
    route.gate.count('origin');
    return text(403, "this origin may not push here (the ingest endpoint's origins)");
  }
  const cors: Record<string, string> = origin === null ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (request.method === 'OPTIONS') {
    const preflight = {
      ...cors,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, authorization',
      'access-control-max-age': '600',
    };
    return new Response(null, { status: 204, headers: preflight });
  }
  if (!authorized(request.headers.get('authorization') ?? undefined, auth)) {
    route.gate.count('unauthorized');
    return text(401, 'unauthorized', cors);
  }
  if (request.method !== 'POST') return text(405, 'method not allowed: POST a JSON snapshot', { ...cors, allow: 'POST' });
  const { gate } = route;
  const source = url.searchParams.get('source') ?? 'browser';
  const tooLarge = () => {
    gate.count('too_large');
    return text(413, `snapshot larger than ${gate.limits.maxBytes} bytes`, cors);
  };
  if (Number(request.headers.get('content-length')) > gate.limits.maxBytes) return tooLarge();
  const refused = gate.begin(source);
  if (refused) return new Response(refused.body, { status: refused.status, headers: { ...cors, ...refused.headers } });
  const read = await readLimited(request, gate);
  try {
    if (read.outcome === 'too_large') return tooLarge();
    const answer = read.outcome === 'busy' ? gate.busy() : gate.accept(source, Buffer.from(read.body!).toString('utf8'));
    return new Response(answer.body, { status: answer.status, headers: { ...cors, ...answer.headers } });
  } finally {
    gate.release(read.reserved);
  }
}

/** The scrape as a Response whose body streams as the render writes it (pulled by the reader: backpressure). */
function scrapeResponse(scraper: Scraper, kind: ScrapeKind, gzipOk: boolean, head: boolean): Promise<Response> {
  return new Promise((resolve, reject) => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let pulled: (() => void) | undefined;
    let cancelled = false;
    const wake = () => {
      pulled?.();
      pulled = undefined;
    };
    const body = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (controller = c),
        pull: wake,
        cancel: () => {
          cancelled = true;
          wake();
        },
      },
      { highWaterMark: 1 },
    );
    const sink: ScrapeSink = {
      start: (status, headers) => resolve(new Response(head ? null : body, { status, headers })),
      write(chunk) {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        return (controller.desiredSize ?? 0) > 0 ? undefined : new Promise<void>((r) => void (pulled = r));
      },
      end: () => void (cancelled || controller.close()),
      abort: (error) => void (cancelled || controller.error(error)),
      get closed() {
        return head || cancelled;
      },
    };
    scraper.scrape(kind, gzipOk, sink).catch(reject);
  });
}

export function fetchHandler(registry: MetricsRegistry, options: HandlerOptions = {}): FetchHandler {
  const path = options.path ?? '/metrics';
  const scraper = new Scraper(registry, options.maxConcurrentScrapes ?? 256);
  const health = options.health;
  const routes = [
    path,
    `${path}.json`,
    ...(health ? [health.livenessPath, health.readinessPath] : []),
    ...(options.ingest ? [options.ingest.path] : []),
  ];
  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (options.ingest && url.pathname === options.ingest.path) return ingest(request, url, options.ingest, options.auth);
    if (!routes.includes(url.pathname)) return text(404, 'not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed', { allow: 'GET, HEAD' });
    if (health && (url.pathname === health.livenessPath || url.pathname === health.readinessPath)) {
      const answer = await healthAnswer(health, url, request.headers.get('accept') ?? undefined);
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    }
    if (!authorized(request.headers.get('authorization') ?? undefined, options.auth))
      return text(401, 'unauthorized', unauthorizedHeaders(options.auth));
    const kind = scrapeKind(url, path, request.headers.get('accept') ?? undefined, options.format);
    return scrapeResponse(scraper, kind, acceptsGzip(request.headers.get('accept-encoding') ?? undefined), request.method === 'HEAD');
  };
  const guarded = (request: Request) =>
    handle(request).catch((error: unknown) =>
      text(500, `metrics collection failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  return Object.assign(guarded, { routes });
}
