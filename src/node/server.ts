/**
 * The metrics endpoint's listener: node:http with timeouts suited to a
 * metrics endpoint, connections tracked so that close() keeps a deadline
 * whatever clients do, and requests handed to request-handler.ts.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { MetricsRegistry } from '../api/metrics.js';
import { type HandlerOptions, metricsHandler } from './request-handler.js';

export type { Credentials, HandlerOptions } from './request-handler.js';
export type { IngestRoute } from './ingest-route.js';

/** Timeouts in milliseconds; see DEFAULT_TIMEOUTS. */
export interface ServerTimeouts {
  /** Until a request's headers are complete (slow-header clients). */
  headers?: number;
  /** Until a whole request, body included, is received. */
  request?: number;
  /** An idle keep-alive connection is closed after this. */
  keepAlive?: number;
  /** A connection with no traffic either way (a client that stops reading) is closed after this. */
  idle?: number;
}

/** A scrape is a small GET: clients that take longer than this are not scrapers. */
export const DEFAULT_TIMEOUTS: Required<ServerTimeouts> = Object.freeze({
  headers: 10_000,
  request: 30_000,
  keepAlive: 5_000,
  idle: 60_000,
});

export interface ServeOptions extends HandlerOptions {
  /** Default 9464 (the port registered for Prometheus exporters of OpenTelemetry); 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1: metrics are not published beyond the machine unless asked. */
  host?: string;
  timeouts?: ServerTimeouts;
}

export interface ServerCloseReport {
  /** Connections closed by force: requests still unfinished, or held open by clients, at the deadline. */
  forcedConnections: number;
}

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  /**
   * Stops listening and closes every connection: idle ones and those without
   * a complete request at once, requests in progress when they finish or at
   * `deadline` (epoch ms; default 2 s from now), whichever comes first.
   */
  close(deadline?: number): Promise<ServerCloseReport>;
}

function checkOptions(options: ServeOptions): void {
  const port = options.port ?? 9464;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`serve: port: expected an integer 0-65535, got ${String(options.port)}`);
  const path = options.path ?? '/metrics';
  if (!path.startsWith('/')) throw new RangeError(`serve: path: expected a path starting with "/", got ${JSON.stringify(path)}`);
  for (const [key, ms] of Object.entries(options.timeouts ?? {}))
    if (!(typeof ms === 'number' && ms > 0 && Number.isFinite(ms)))
      throw new RangeError(`serve: timeouts.${key}: expected milliseconds > 0, got ${String(ms)}`);
  const max = options.maxConcurrentScrapes;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1))
    throw new RangeError(`serve: maxConcurrentScrapes: expected an integer >= 1, got ${String(max)}`);
}

/** Which sockets are serving a request: those that are not can be closed at once on shutdown. */
class Connections {
  private readonly busy = new Map<Socket, boolean>();
  private closing = false;
  private drained: (() => void) | undefined;

  track(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.busy.set(socket, false);
      socket.once('close', () => {
        this.busy.delete(socket);
        if (this.busy.size === 0) this.drained?.();
      });
    });
    server.on('request', (req, res) => {
      const socket = req.socket;
      this.busy.set(socket, true);
      res.once('close', () => {
        if (!this.busy.has(socket)) return;
        this.busy.set(socket, false);
        if (this.closing) socket.destroy(); // answered: no keep-alive while closing
      });
    });
  }

  /** Closes idle and half-sent connections now, the rest by `deadline`; returns how many were forced. */
  async close(deadline: number): Promise<number> {
    this.closing = true;
    for (const [socket, busy] of this.busy) if (!busy) socket.destroy();
    if (this.busy.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now())); // ref'd: shutdown keeps the process alive
      });
      clearTimeout(timer);
    }
    const forced = this.busy.size;
    for (const socket of this.busy.keys()) socket.destroy();
    return forced;
  }
}

/** Serves the registry over HTTP; resolves once listening. */
export async function serveMetrics(registry: MetricsRegistry, options: ServeOptions = {}): Promise<MetricsServer> {
  checkOptions(options);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      headersTimeout: Math.min(timeouts.headers, timeouts.request),
      requestTimeout: timeouts.request,
      keepAliveTimeout: timeouts.keepAlive,
      // How often Node checks the two timeouts above (its default, 30 s, would make them that coarse).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, timeouts.headers / 4)),
    },
    metricsHandler(registry, options),
  );
  server.setTimeout(timeouts.idle, (socket) => socket.destroy());
  const connections = new Connections();
  connections.track(server);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<ServerCloseReport> | undefined;
  return {
    url: `http://${shownHost}:${port}${options.path ?? '/metrics'}`,
    port,
    close: (deadline = Date.now() + 2000) =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const forcedConnections = await connections.close(deadline);
        await stopped;
        return { forcedConnections };
      })()),
  };
}
