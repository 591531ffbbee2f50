/**
 * How StatsD lines travel. UDP: lines packed into datagrams (larger ones on
 * loopback) paced to a byte rate, because a
 * burst of hundreds of datagrams overflows a local daemon's receive buffer
 * and the kernel drops them silently (before pacing, a local Etsy daemon
 * received 79% of a 10,000-series export and 19% of a 50,000-series one);
 * datagrams the kernel refuses are counted, not retried (what went out
 * would be counted twice). The daemon's address is looked up again every
 * `resolveEveryMs` and after a send error, so a daemon that moves is
 * followed, and never per packet. TCP: one connection, reconnected (and so
 * re-resolved) when it breaks; lines arrive or the export fails and is
 * retried whole.
 */
import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { type Socket as TcpSocket, connect } from 'node:net';
import type { ExportContext } from '../api/exporter.js';
import { packLines } from '../exposition/statsd.js';

export interface Transport {
  /** Sends StatsD lines; returns the bytes that went out. */
  send(lines: readonly string[], context?: ExportContext): Promise<number>;
  close(): Promise<void>;
}

export type Resolve = (host: string) => Promise<{ address: string; family: number }>;

export interface UdpOptions {
  /** Largest datagram payload; default 1432, or LOOPBACK_DATAGRAM when the daemon's address is loopback. */
  mtu?: number;
  /** Bytes per second sent; bursts up to BURST_BYTES go at once. */
  bytesPerSecond: number;
  /** How long a looked-up address is used before it is looked up again. */
  resolveEveryMs: number;
  /** The lookup; default node:dns `lookup` (what the OS resolver says, /etc/hosts included). */
  resolve?: Resolve;
}

/** Well under Linux's default receive buffer (~208 KB, charged ~2x per datagram). */
const BURST_BYTES = 32 * 1024;
/** Datagram payload over a network path without fragmentation (1500 minus IP and UDP headers, with margin). */
const NETWORK_DATAGRAM = 1432;
/** Loopback carries 64 KiB datagrams: fewer, larger ones cost a local daemon fewer wake-ups. */
export const LOOPBACK_DATAGRAM = 32 * 1024;

const isLoopback = (address: string) => /^127\./.test(address) || address === '::1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Paces sends to `rate` bytes per second with bursts of BURST_BYTES. */
class Pacer {
  private tokens = BURST_BYTES;
  private at = performance.now();
  constructor(private readonly rate: number) {}
  async take(bytes: number): Promise<void> {
    const now = performance.now();
    this.tokens = Math.min(BURST_BYTES, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    this.tokens -= bytes;
    if (this.tokens < 0) await sleep((-this.tokens / this.rate) * 1000);
  }
}

/** A looked-up address, reused until it is `maxAgeMs` old or a send to it failed. */
class Resolver {
  private current: Promise<{ address: string; family: number }> | undefined;
  private at = 0;
  constructor(
    private readonly host: string,
    private readonly maxAgeMs: number,
    private readonly resolve: Resolve,
  ) {}
  address(): Promise<{ address: string; family: number }> {
    if (!this.current || performance.now() - this.at >= this.maxAgeMs) {
      this.at = performance.now();
      this.current = this.resolve(this.host).catch((error: unknown) => {
        this.current = undefined; // look up again next time
        throw error;
      });
    }
    return this.current;
  }
  forget(): void {
    this.current = undefined;
  }
}

export function udpTransport(host: string, port: number, options: UdpOptions): Transport {
  const sockets = new Map<number, UdpSocket>();
  const resolver = new Resolver(host, options.resolveEveryMs, options.resolve ?? ((h) => lookup(h)));
  const pacer = new Pacer(options.bytesPerSecond);
  const socketFor = (family: number) => {
    let socket = sockets.get(family);
    if (!socket) {
      socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.on('error', () => {}); // errors of a send arrive in its callback
      socket.unref();
      sockets.set(family, socket);
    }
    return socket;
  };
  return {
    async send(lines, context) {
      const target = await resolver.address();
      const socket = socketFor(target.family);
      const payloads = packLines(lines, options.mtu ?? (isLoopback(target.address) ? LOOPBACK_DATAGRAM : NETWORK_DATAGRAM));
      let bytes = 0;
      let failed = 0;
      for (const payload of payloads) {
        context?.signal.throwIfAborted();
        const buffer = Buffer.from(payload);
        await pacer.take(buffer.length);
        const error = await new Promise<Error | null>((resolve) => socket.send(buffer, port, target.address, resolve));
        if (error) failed++;
        else bytes += buffer.length;
      }
      if (failed) {
        context?.sendErrors(failed);
        resolver.forget(); // the daemon may have moved
      }
      return bytes;
    },
    async close() {
      await Promise.all([...sockets.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      sockets.clear();
    },
  };
}

export function tcpTransport(host: string, port: number): Transport {
  let socket: Promise<TcpSocket> | undefined;
  const open = () =>
    new Promise<TcpSocket>((resolve, reject) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.off('error', reject);
        s.on('error', () => {
          socket = undefined; // reconnect on the next send
          s.destroy();
        });
        s.on('close', () => (socket = undefined));
        resolve(s);
      });
      s.once('error', reject);
    });
  return {
    async send(lines) {
      socket ??= open().catch((error: unknown) => {
        socket = undefined;
        throw error;
      });
      const s = await socket;
      const data = Buffer.from(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve, reject) => s.write(data, (error) => (error ? reject(error) : resolve())));
      return data.length;
    },
    async close() {
      const s = await socket?.catch(() => undefined);
      if (s) {
        // A daemon that stops reading must not hold shutdown: ended politely, destroyed after a second.
        const timer = setTimeout(() => s.destroy(), 1000);
        await new Promise<void>((resolve) => s.end(resolve));
        clearTimeout(timer);
      }
      socket = undefined;
    },
  };
}
