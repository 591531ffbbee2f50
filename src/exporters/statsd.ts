/**
 * StatsD exporter: counters as deltas (totals at the daemon match ours),
 * gauges as values (negative ones via 0 first, as the protocol requires),
 * histogram and summary observations as timer/histogram lines whose sample
 * rates make the daemon's counts exact. UDP datagrams packed to the MTU, or
 * TCP lines; the host is resolved once, not per packet.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { type Socket as TcpSocket, connect } from 'node:net';
import type { ExportBatch, PushExporter } from '../api/exporter.js';
import type { FamilySnapshot } from '../api/snapshot.js';
import type { ExporterConfig } from '../config/schema.js';
import { type StatsdType, exactParts, packLines, statsdLine } from '../exposition/statsd.js';
import { ucumUnit } from '../exposition/prometheus-names.js';
import { DeltaTracker } from '../core/delta.js';

type StatsdConfig = Extract<ExporterConfig, { type: 'statsd' }>;

/** The StatsD lines for one batch of deltas. */
export function statsdLines(families: readonly FamilySnapshot[], config: Pick<StatsdConfig, 'flavor' | 'prefix'>): string[] {
  const lines: string[] = [];
  const { flavor, prefix } = config;
  for (const f of families) {
    const seconds = ucumUnit(f.unit) === 's';
    // Etsy statsd treats unknown types (h) as counters: use timers there.
    const observation: StatsdType = seconds || flavor === 'etsy' ? 'ms' : 'h';
    const scale = seconds ? 1000 : 1; // StatsD timers are milliseconds
    const sampled = (name: string, value: number, count: number, tags: FamilySnapshot['series'][number]['labels']) => {
      for (const part of exactParts(count)) lines.push(statsdLine(name, value * scale, observation, tags, flavor, 1 / part));
    };
    for (const s of f.series) {
      const tags = s.labels;
      switch (f.type) {
        case 'counter':
          if ((s.value ?? 0) > 0) lines.push(statsdLine(`${prefix}${f.name}`, s.value!, 'c', tags, flavor));
          break;
        case 'gauge': {
          const name = `${prefix}${f.name}`;
          if ((s.value ?? 0) < 0) lines.push(statsdLine(name, 0, 'g', tags, flavor)); // "-5|g" alone would mean "decrement by 5"
          lines.push(statsdLine(name, s.value ?? 0, 'g', tags, flavor));
          break;
        }
        case 'histogram': {
          // Each bucket's new observations, reported at the bucket's upper bound (the last finite one for +Inf).
          const bounds = f.buckets ?? [];
          (s.bucketCounts ?? []).forEach((count, i) => {
            if (count > 0) sampled(`${prefix}${f.name}`, bounds[Math.min(i, bounds.length - 1)] ?? 0, count, tags);
          });
          break;
        }
        case 'summary':
          // New observations at their mean: counts exact, distribution summarised.
          if ((s.count ?? 0) > 0) sampled(`${prefix}${f.name}`, (s.sum ?? 0) / s.count!, s.count!, tags);
          break;
      }
    }
  }
  return lines;
}

interface Transport {
  send(payloads: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

function udpTransport(host: string, port: number): Transport {
  let socket: UdpSocket | undefined;
  let address: Promise<{ address: string; family: number }> | undefined;
  return {
    async send(payloads) {
      address ??= lookup(host).catch((error: unknown) => {
        address = undefined; // look up again next time
        throw error;
      });
      const target = await address;
      socket ??= createSocket(target.family === 6 ? 'udp6' : 'udp4');
      socket.unref();
      let bytes = 0;
      for (const payload of payloads) {
        const buffer = Buffer.from(payload);
        await new Promise<void>((resolve, reject) =>
          socket!.send(buffer, port, target.address, (error) => (error ? reject(error) : resolve())),
        );
        bytes += buffer.length;
      }
      return bytes;
    },
    async close() {
      await new Promise<void>((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
      socket = undefined;
    },
  };
}

function tcpTransport(host: string, port: number): Transport {
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
    async send(payloads) {
      socket ??= open().catch((error: unknown) => {
        socket = undefined;
        throw error;
      });
      const s = await socket;
      const data = Buffer.from(`${payloads.join('\n')}\n`);
      await new Promise<void>((resolve, reject) => s.write(data, (error) => (error ? reject(error) : resolve())));
      return data.length;
    },
    async close() {
      const s = await socket?.catch(() => undefined);
      if (s) await new Promise<void>((resolve) => s.end(resolve));
      socket = undefined;
    },
  };
}

export function statsdExporter(config: StatsdConfig, name = 'statsd'): PushExporter {
  const deltas = new DeltaTracker();
  const transport = config.protocol === 'tcp' ? tcpTransport(config.host, config.port) : udpTransport(config.host, config.port);
  return {
    name,
    async export(batch: ExportBatch) {
      const diff = deltas.diff(batch.families, batch.timeMs);
      const lines = statsdLines(diff.families, config);
      const bytes = lines.length ? await transport.send(config.protocol === 'udp' ? packLines(lines, config.mtu) : lines) : 0;
      diff.commit(); // only once sent: a failed send is part of the next delta
      return bytes;
    },
    close: () => transport.close(),
  };
}
