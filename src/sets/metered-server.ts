/**
 * The transport set recorded from a `node:net` or `node:http(s)` server (and
 * from client sockets), by listening to their events: nothing here imports
 * Node, so the module stays platform-neutral and works on anything shaped
 * like those servers.
 *
 * What is measured, exactly:
 * - connections: open count; teardown from the first FIN (received `end` or
 *   sent `finish`) to `close`; setup only where there is something to time,
 *   client sockets (`meterSocket`: creation to `connect`, or `secureConnect`
 *   for TLS; a server's accept has no duration to report);
 * - throughput: each socket's `bytesRead`/`bytesWritten`, as deltas when it
 *   closes and at every collection while it is open;
 * - HTTP (bytes are already counted at the socket, so messages add sizes only): one request per `request` event, its response at `finish`
 *   (outcome error for 5xx) or `close` without finish (error `aborted`);
 *   message sizes are bodies: received from `content-length` (chunked bodies
 *   are not counted: reading them would take the stream from the
 *   application), sent from what `write`/`end` were given;
 * - errors: socket `error` events by `code`.
 */
import type { SetOptions } from './instruments.js';
import { type TransportMetrics, transportMetrics } from './transport.js';

// Node's emitters type their listeners per event; this is the generic overload they all have.
type Listener = (...args: any[]) => void;

export interface EmitterLike {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

export interface SocketLike extends EmitterLike {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly encrypted?: boolean;
}

interface RequestLike {
  readonly headers: Record<string, string | string[] | undefined>;
}

interface ResponseLike extends EmitterLike {
  statusCode: number;
  write(chunk: unknown, ...rest: unknown[]): boolean;
  end(...args: unknown[]): unknown;
}

export interface MeterServerOptions extends SetOptions {
  /** The `transport.name` attribute: `http`, `https`, `tcp`, ... */
  readonly transport: string;
}

export interface MeteredServer {
  readonly transport: TransportMetrics;
  /** Stops recording: removes the listeners and the collection hook. */
  close(): void;
}

const encoder = new TextEncoder();
function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    const buffer = (globalThis as { Buffer?: { byteLength(s: string, e?: string): number } }).Buffer;
    return buffer ? buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8') : encoder.encode(chunk).byteLength;
  }
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/** Connection bookkeeping shared by server and client sockets. */
class SocketTracker {
  readonly live = new Map<SocketLike, { read: number; written: number }>();
  constructor(readonly transport: TransportMetrics) {}

  track(socket: SocketLike, setupSeconds?: number): void {
    const t = this.transport;
    this.live.set(socket, { read: 0, written: 0 });
    t.connectionOpened(setupSeconds);
    let closing: number | undefined;
    const fin = () => {
      closing ??= t.clock();
    };
    socket.once('end', fin);
    socket.once('finish', fin);
    socket.on('error', (error: { code?: string }) => t.error(error?.code ?? 'error'));
    socket.once('close', () => {
      this.flush(socket);
      this.live.delete(socket);
      t.connectionClosed(closing === undefined ? undefined : t.clock() - closing);
    });
  }

  flush(socket: SocketLike): void {
    const seen = this.live.get(socket);
    if (!seen) return;
    this.transport.io('receive', socket.bytesRead - seen.read);
    this.transport.io('transmit', socket.bytesWritten - seen.written);
    seen.read = socket.bytesRead;
    seen.written = socket.bytesWritten;
  }

  flushAll(): void {
    for (const socket of this.live.keys()) this.flush(socket);
  }
}

function meterResponse(t: TransportMetrics, req: RequestLike, res: ResponseLike): void {
  const done = t.request();
  const length = Number(req.headers['content-length'] ?? (req.headers['transfer-encoding'] ? Number.NaN : 0));
  if (Number.isFinite(length)) t.message('receive', length);
  let sent = 0;
  const { write, end } = res;
  res.write = function (this: ResponseLike, chunk: unknown, ...rest: unknown[]) {
    sent += byteLength(chunk, rest[0]);
    return write.call(this, chunk, ...rest);
  };
  res.end = function (this: ResponseLike, ...args: unknown[]) {
    if (args[0] !== undefined && typeof args[0] !== 'function') sent += byteLength(args[0], args[1]);
    return end.apply(this, args);
  };
  let finished = false;
  res.once('finish', () => {
    finished = true;
    t.message('transmit', sent);
    done(res.statusCode >= 500 ? 'error' : 'success');
  });
  res.once('close', () => {
    if (finished) return;
    t.error('aborted');
    done('error');
  });
}

/** Records the transport set for everything `server` accepts from now on. */
export function meterServer(server: EmitterLike, options: MeterServerOptions): MeteredServer {
  const transport = transportMetrics(options);
  const sockets = new SocketTracker(transport);
  const listeners: Record<string, Listener> = {
    connection: (socket: SocketLike) => sockets.track(socket),
    request: (req: RequestLike, res: ResponseLike) => meterResponse(transport, req, res),
  };
  for (const [event, listener] of Object.entries(listeners)) server.on(event, listener);
  const removeHook = options.metrics.registry.addCollectHook(`transport:${options.transport}`, () => sockets.flushAll());
  return {
    transport,
    close() {
      for (const [event, listener] of Object.entries(listeners)) server.off(event, listener);
      removeHook();
    },
  };
}

/**
 * Records one client socket (from `net.connect`, `tls.connect`): setup is the
 * time from this call to `connect` (`secureConnect` for TLS), so call it
 * right after creating the socket.
 */
export function meterSocket(socket: SocketLike, transport: TransportMetrics): void {
  const start = transport.clock();
  const tracker = new SocketTracker(transport);
  socket.once(socket.encrypted ? 'secureConnect' : 'connect', () => tracker.track(socket, transport.clock() - start));
}
