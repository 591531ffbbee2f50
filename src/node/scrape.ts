/**
 * Answers scrapes. Concurrent scrapes of the same format and encoding share
 * one render (and one gzip of it): 200 scrapers at once cost one exposition,
 * not 200. Scrapes answered at once are bounded; beyond the bound a scraper
 * gets 503 and Retry-After instead of a queue that grows without limit.
 *
 * A body that stays under STREAM_FROM_BYTES is answered whole, with a
 * content-length. A larger one is streamed as it is rendered (chunked,
 * gzipped by a zlib stream fed piece by piece): the whole body is never held,
 * whatever the number of series, and compression runs on zlib's thread pool
 * while the next slice renders. Scrapers that arrive once a render streams
 * start a render of their own (the first bytes are gone).
 */
import { Readable, pipeline } from 'node:stream';
import { promisify } from 'node:util';
import { createGzip, gzip } from 'node:zlib';
import type { ExpositionFormat, MetricsRegistry } from '../api/metrics.js';
import { toJsonSnapshot } from '../exposition/json.js';
import { PROTOBUF_CONTENT_TYPE, encodeProtobufExposition } from '../exposition/prometheus-protobuf.js';
import { CONTENT_TYPES } from '../exposition/text.js';

const gzipAsync = promisify(gzip);

/** Bodies at least this large are worth gzipping when the client allows it. */
const GZIP_MIN_BYTES = 1024;
/** Bodies past this size are streamed instead of answered whole. */
export const STREAM_FROM_BYTES = 64 * 1024;
/**
 * Rendered text buffered ahead of the gzip stream, so rendering continues
 * while zlib's thread pool deflates (with the default 16 KiB the two took
 * turns). Bounds the memory of a streamed scrape with the socket's buffer.
 */
const READ_AHEAD_BYTES = 1024 * 1024;

export type ScrapeKind = ExpositionFormat | 'json' | 'protobuf';

const CONTENT_TYPE: Readonly<Record<ScrapeKind, string>> = {
  ...CONTENT_TYPES,
  json: 'application/json; charset=utf-8',
  protobuf: PROTOBUF_CONTENT_TYPE,
};

/** Where a scrape's answer goes: a node:http response, a fetch Response's stream. */
export interface ScrapeSink {
  /** Status and headers, once, before any body. */
  start(status: number, headers: Record<string, string>): void;
  /** A piece of the body; a promise when the writer should wait (backpressure). */
  write(chunk: Buffer): undefined | Promise<void>;
  end(): void;
  /** The render failed after start: the receiver must not take the body as complete. */
  abort(error: Error): void;
  /** The receiver went away (or wants no body): writes may stop. */
  readonly closed: boolean;
}

/** One render, written to every sink that joined before it began streaming. */
class Render {
  readonly sinks: ScrapeSink[] = [];
  joinable = true;
  readonly done: Promise<void>;

  constructor(
    source: AsyncIterable<Buffer>,
    /** Read when the answer starts: the collection has run by then (response headers depend on it). */
    private readonly headers: () => Record<string, string>,
    private readonly gzipOk: boolean,
    private readonly onStreaming: () => void,
  ) {
    this.done = this.run(source[Symbol.asyncIterator]());
  }

  private async run(source: AsyncIterator<Buffer>): Promise<void> {
    const held: Buffer[] = [];
    let size = 0;
    for (let next = await source.next(); ; next = await source.next()) {
      if (next.done) return this.whole(Buffer.concat(held, size));
      held.push(next.value);
      size += next.value.length;
      if (size >= STREAM_FROM_BYTES) break;
    }
    this.joinable = false;
    this.onStreaming();
    // Starting the stream runs code a process's first streamed scrape finds
    // cold (Node compiles its HTTP, stream and zlib functions on first use):
    // the headers took ~2 ms there, the gzip stream and its pipeline ~5.5,
    // the first pumped chunk ~7. In one turn with the render slice that
    // filled the first 64 KiB, they blocked the loop 11-15 ms; each gets a
    // turn of its own. Every scrape pays the three setImmediate hops.
    await nextTurn();
    try {
      const headers = this.gzipOk ? { ...this.headers(), 'content-encoding': 'gzip' } : this.headers();
      for (const sink of this.sinks) sink.start(200, headers);
    } catch (error) {
      // The caller answers the error; the render stops here, which closes its reads of the series tables
      // (an open read blocks a table's compaction).
      await source.return?.();
      throw error;
    }
    await nextTurn();
    if (this.sinks.every((s) => s.closed)) {
      // Every scraper left meanwhile, or asked with HEAD: nothing more to render.
      await source.return?.();
      for (const sink of this.sinks) sink.end();
      return;
    }
    try {
      const body = this.gzipOk ? gzipped(held, source) : rest(held, source);
      await nextTurn();
      await this.pump(body);
    } catch (error) {
      for (const sink of this.sinks) sink.abort(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    for (const sink of this.sinks) sink.end();
  }

  private async whole(text: Buffer): Promise<void> {
    const zipped = this.gzipOk && text.length >= GZIP_MIN_BYTES;
    // zlib's thread pool: the event loop stays free.
    const body = zipped ? await gzipAsync(text) : text;
    const headers: Record<string, string> = { ...this.headers(), 'content-length': String(body.length) };
    if (zipped) headers['content-encoding'] = 'gzip';
    this.joinable = false;
    for (const sink of this.sinks) {
      sink.start(200, headers);
      if (!sink.closed) sink.write(body);
      sink.end();
    }
  }

  /** Writes each chunk to every sink still open, at the pace of the slowest; stops when none is left. */
  private async pump(chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      const waits: Promise<void>[] = [];
      for (const sink of this.sinks) {
        const wait = sink.closed ? undefined : sink.write(chunk);
        if (wait) waits.push(wait);
      }
      if (waits.length > 0) await Promise.all(waits);
      if (this.sinks.every((s) => s.closed)) return; // leaving the loop ends the render
    }
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The held pieces, then the rest of the source. */
async function* rest(held: Buffer[], source: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    while (held.length > 0) yield held.shift() as Buffer;
    for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
  } finally {
    await source.return?.(); // a scrape abandoned midway stops reading series
  }
}

/** The same, through a zlib gzip stream: deflate runs on the thread pool, pieces go in as they come. */
function gzipped(held: Buffer[], source: AsyncIterator<Buffer>): AsyncIterable<Buffer> {
  const zipper = createGzip({ chunkSize: 64 * 1024 });
  // pipeline passes a render's failure on to the gzip stream, whose reader then throws.
  pipeline(Readable.from(rest(held, source), { objectMode: false, highWaterMark: READ_AHEAD_BYTES }), zipper, () => {});
  return zipper;
}

export class Scraper {
  private readonly renders = new Map<string, Render>();
  private active = 0;

  constructor(
    private readonly registry: MetricsRegistry,
    /** Scrapes answered at once (rendering, compressing or waiting for either). */
    private readonly maxConcurrent: number,
  ) {}

  /** Writes the answer to `sink`; rejects when the render fails before anything was sent. */
  async scrape(kind: ScrapeKind, gzipOk: boolean, sink: ScrapeSink): Promise<void> {
    if (this.active >= this.maxConcurrent) {
      sink.start(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
      sink.write(Buffer.from(`too many scrapes at once (limit ${this.maxConcurrent})\n`));
      return sink.end();
    }
    this.active++;
    try {
      await this.join(`${kind} ${gzipOk}`, kind, gzipOk, sink).done;
    } finally {
      this.active--;
    }
  }

  private join(key: string, kind: ScrapeKind, gzipOk: boolean, sink: ScrapeSink): Render {
    let render = this.renders.get(key);
    if (!render?.joinable) {
      const headers = () => ({
        ...this.registry.responseHeaders?.(), // optional: registries built elsewhere may not have it
        'content-type': CONTENT_TYPE[kind],
        vary: 'Accept, Accept-Encoding',
      });
      const created = new Render(this.pieces(kind), headers, gzipOk, () => this.forget(key, created));
      render = created;
      this.renders.set(key, render);
      render.done.then(
        () => this.forget(key, created),
        () => this.forget(key, created),
      );
    }
    render.sinks.push(sink);
    return render;
  }

  private forget(key: string, render: Render): void {
    if (this.renders.get(key) === render) this.renders.delete(key);
  }

  private async *pieces(kind: ScrapeKind): AsyncGenerator<Buffer> {
    if (kind === 'json') {
      yield Buffer.from(JSON.stringify(toJsonSnapshot(await this.registry.collect(), Date.now())), 'utf8');
      return;
    }
    if (kind === 'protobuf') {
      yield Buffer.from(encodeProtobufExposition(await this.registry.collect()));
      return;
    }
    // Each piece is encoded in the slice that rendered it: one Buffer.from of
    // a whole 100k-series text is a stall of its own.
    for await (const text of this.registry.exposeChunks(kind)) yield Buffer.from(text, 'utf8');
  }
}
