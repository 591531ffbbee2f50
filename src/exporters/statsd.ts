/**
 * StatsD exporter: counters as deltas (totals at the daemon match ours),
 * gauges as values (negative ones via 0 first, as the protocol requires),
 * histogram and summary observations as timer/histogram lines whose sample
 * rates make the daemon's counts exact. UDP datagrams packed to the MTU and
 * paced, or TCP lines (statsd-transport.ts).
 */
import type { ExportBatch, ExportContext, PushExporter } from '../api/exporter.js';
import type { FamilySnapshot } from '../api/snapshot.js';
import { type ExporterConfig, parseDuration } from '../config/schema.js';
import { type StatsdType, exactParts, statsdLine } from '../exposition/statsd.js';
import { ucumUnit } from '../exposition/prometheus-names.js';
import { DeltaTracker } from '../core/delta.js';
import { type Resolve, tcpTransport, udpTransport } from './statsd-transport.js';

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

/** `resolve`: the address lookup, for tests; default node:dns. */
export function statsdExporter(config: StatsdConfig, name = 'statsd', resolve?: Resolve): PushExporter {
  const deltas = new DeltaTracker();
  const transport =
    config.protocol === 'tcp'
      ? tcpTransport(config.host, config.port)
      : udpTransport(config.host, config.port, {
          mtu: config.mtu,
          bytesPerSecond: config.udpBytesPerSecond,
          resolveEveryMs: parseDuration(config.resolveEvery)!,
          resolve,
        });
  return {
    name,
    async export(batch: ExportBatch, context?: ExportContext) {
      const diff = deltas.diff(batch.families, batch.timeMs);
      const lines = statsdLines(diff.families, config);
      const bytes = lines.length ? await transport.send(lines, context) : 0;
      diff.commit(); // only once sent: a failed send is part of the next delta
      return bytes;
    },
    close: () => transport.close(),
    // Closed sockets are opened again on the next send (UDP also looks the host up again after a send error).
    reconnect: () => transport.close(),
  };
}
