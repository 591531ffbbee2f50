/**
 * StatsD over UDP at volume (issue 10): a local Etsy daemon must receive
 * every series of a large export, and the transport follows a daemon that
 * moves without a DNS lookup per packet.
 */
import { type Socket, createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExportContext } from '../../src/api/exporter.js';
import { parseConfig } from '../../src/config/load.js';
import { statsdExporter } from '../../src/exporters/statsd.js';
import { createMetrics } from '../../src/index.js';
import { StatsdDaemon } from '../support/statsd-daemon.js';

let daemon: StatsdDaemon | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  for (const s of sockets.splice(0)) s.close();
});

const statsdConfig = (port: number, extra: Record<string, unknown> = {}) => {
  const config = parseConfig({ exporters: [{ type: 'statsd', port, ...extra }] });
  return config.exporters[0] as Extract<(typeof config.exporters)[number], { type: 'statsd' }>;
};

function context(): ExportContext & { errors: number } {
  const c = { signal: new AbortController().signal, errors: 0, sendErrors: (n: number) => void (c.errors += n) };
  return c;
}

describe('StatsD over UDP to a local daemon', () => {
  // Before pacing, the daemon received 79% of 10,000 series and 19% of 50,000 here.
  it.each([10_000, 50_000])(
    'delivers every one of %i series in one export',
    async (n) => {
      daemon = await StatsdDaemon.start('udp', { flushInterval: 600_000 }); // no flush while counting
      const metrics = createMetrics({ maxSeriesPerMetric: n });
      const calls = metrics.counter('calls_total', { help: 'c', labelNames: ['i'] as const });
      let expected = 0;
      for (let i = 0; i < n; i++) {
        calls.inc({ i: String(i) }, 1 + (i % 3));
        expected += 1 + (i % 3);
      }
      const exporter = statsdExporter(statsdConfig(daemon.port));
      const ctx = context();
      const bytes = await exporter.export({ families: await metrics.registry.collect(), timeMs: Date.now() }, ctx);
      await exporter.close?.();
      expect(bytes).toBeGreaterThan(n * 15);
      expect(ctx.errors).toBe(0);
      let counters = new Map<string, number>();
      for (let tries = 0; tries < 50; tries++) {
        counters = await daemon.counters();
        if ([...counters.keys()].filter((k) => k.startsWith('calls;')).length === n) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const received = [...counters].filter(([k]) => k.startsWith('calls;'));
      expect(received.length).toBe(n);
      expect(received.reduce((sum, [, v]) => sum + v, 0)).toBe(expected);
    },
    120_000,
  );
});

/** A UDP "daemon" on `address` that records the lines it receives. */
async function listener(address: string, port = 0): Promise<{ port: number; lines: string[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const lines: string[] = [];
  socket.on('message', (m) => lines.push(...m.toString().split('\n')));
  await new Promise<void>((r) => socket.bind(port, address, r));
  return { port: socket.address().port, lines };
}

describe('following a StatsD daemon that moves', () => {
  it('looks the host up again after resolveEvery, once per export at most, never per packet', async () => {
    const first = await listener('127.0.0.1');
    const second = await listener('127.0.0.2', first.port); // same port, another address: the daemon moved
    const answers = ['127.0.0.1', '127.0.0.2'];
    const lookups: string[] = [];
    const resolve = async (host: string) => {
      lookups.push(host);
      return { address: answers[Math.min(lookups.length - 1, 1)]!, family: 4 };
    };
    const metrics = createMetrics({ maxSeriesPerMetric: 5000 });
    const c = metrics.counter('moves_total', { help: 'm', labelNames: ['i'] as const });
    const exporter = statsdExporter(
      statsdConfig(first.port, { host: 'statsd.internal', resolveEvery: '200ms', mtu: 512 }),
      'statsd',
      resolve,
    );
    const send = async () => exporter.export({ families: await metrics.registry.collect(), timeMs: Date.now() }, context());
    for (let i = 0; i < 2000; i++) c.inc({ i: String(i) });
    await send(); // ~100 datagrams
    await send(); // nothing new: no datagram, no lookup
    expect(lookups).toEqual(['statsd.internal']);
    await new Promise((r) => setTimeout(r, 250));
    c.inc({ i: '0' }, 5);
    await send();
    expect(lookups).toEqual(['statsd.internal', 'statsd.internal']);
    await new Promise((r) => setTimeout(r, 100));
    expect(first.lines.filter((l) => l.startsWith('moves;')).length).toBe(2000);
    expect(second.lines).toEqual(['moves;i=0:5|c']);
    await exporter.close?.();
  });

  it('counts datagrams the kernel refuses instead of failing the export, and looks the host up again', async () => {
    const lookups: string[] = [];
    const resolve = async (host: string) => (lookups.push(host), { address: '127.0.0.1', family: 4 });
    const metrics = createMetrics();
    // 30 labels of 1,000 three-byte characters: a 90 KB line, too large for any datagram.
    const names = Array.from({ length: 30 }, (_, i) => `l${i}`);
    const huge = Object.fromEntries(names.map((n) => [n, 'あ'.repeat(1000)]));
    metrics.counter('big_total', { help: 'b', labelNames: names }).inc(huge);
    metrics.counter('small_total', { help: 's' }).inc();
    const exporter = statsdExporter(statsdConfig(9, { mtu: 1432 }), 'statsd', resolve);
    const ctx = context();
    const bytes = await exporter.export({ families: await metrics.registry.collect(), timeMs: Date.now() }, ctx);
    expect(ctx.errors).toBe(1); // EMSGSIZE
    expect(bytes).toBeGreaterThan(0); // the rest went out
    await exporter.export({ families: [], timeMs: Date.now() }, ctx);
    metrics.counter('small_total', { help: 's' }).inc();
    await exporter.export({ families: await metrics.registry.collect(), timeMs: Date.now() }, ctx);
    expect(lookups.length).toBe(2);
    await exporter.close?.();
  });
});
