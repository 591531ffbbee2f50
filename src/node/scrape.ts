/**
 * Answers scrapes. Concurrent scrapes of the same format share one render
 * (and one gzip of it): 200 scrapers at once cost one exposition, not 200.
 * Scrapes answered at once are bounded; beyond the bound a scraper gets 503
 * and Retry-After instead of a queue that grows without limit.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ExpositionFormat, MetricsRegistry } from '../api/metrics.js';
import { toJsonSnapshot } from '../exposition/json.js';
import { CONTENT_TYPES } from '../exposition/text.js';

const gzipAsync = promisify(gzip);

/** Bodies at least this large are worth gzipping when the client allows it. */
const GZIP_MIN_BYTES = 1024;

export type ScrapeKind = ExpositionFormat | 'json';

export interface ScrapeAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Runs `produce` once for callers that ask for the same key while it runs. */
class Coalescer<T> {
  private readonly running = new Map<string, Promise<T>>();
  run(key: string, produce: () => Promise<T>): Promise<T> {
    let pending = this.running.get(key);
    if (!pending) {
      pending = produce().finally(() => this.running.delete(key));
      this.running.set(key, pending);
    }
    return pending;
  }
}

export class Scraper {
  private readonly texts = new Coalescer<Buffer>();
  /** One gzip per rendered text, shared by everyone who got that text. */
  private readonly zipped = new WeakMap<Buffer, Promise<Buffer>>();
  private active = 0;

  constructor(
    private readonly registry: MetricsRegistry,
    /** Scrapes answered at once (rendering, compressing or waiting for either). */
    private readonly maxConcurrent: number,
  ) {}

  async answer(kind: ScrapeKind, gzipOk: boolean): Promise<ScrapeAnswer> {
    if (this.active >= this.maxConcurrent) {
      const body = Buffer.from(`too many scrapes at once (limit ${this.maxConcurrent})\n`);
      return { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }, body };
    }
    this.active++;
    try {
      const text = await this.texts.run(kind, () => this.render(kind));
      const zipped = gzipOk && text.length >= GZIP_MIN_BYTES;
      // zlib's thread pool: the event loop stays free.
      const body = zipped ? await this.gzip(text) : text;
      const headers: Record<string, string> = {
        'content-type': kind === 'json' ? 'application/json; charset=utf-8' : CONTENT_TYPES[kind],
        vary: 'Accept, Accept-Encoding',
        'content-length': String(body.length),
      };
      if (zipped) headers['content-encoding'] = 'gzip';
      return { status: 200, headers, body };
    } finally {
      this.active--;
    }
  }

  private gzip(text: Buffer): Promise<Buffer> {
    let pending = this.zipped.get(text);
    if (!pending) this.zipped.set(text, (pending = gzipAsync(text)));
    return pending;
  }

  private async render(kind: ScrapeKind): Promise<Buffer> {
    if (kind === 'json') return Buffer.from(JSON.stringify(toJsonSnapshot(await this.registry.collect(), Date.now())), 'utf8');
    // Each piece is encoded in the slice that rendered it: one Buffer.from of
    // a whole 100k-series text is a stall of its own.
    const pieces: Buffer[] = [];
    for await (const text of this.registry.exposeChunks(kind)) pieces.push(Buffer.from(text, 'utf8'));
    return Buffer.concat(pieces);
  }
}
