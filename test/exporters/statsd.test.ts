/**
 * StatsD against the real Etsy daemon: what arrives must equal what was
 * recorded, across several flushes and at shutdown, for every transport and
 * tag flavour the daemon understands.
 */
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { exactParts, packLines, sanitizeName, statsdLine } from '../../src/exposition/statsd.js';
import { createMetrics } from '../../src/node/index.js';
import { StatsdDaemon } from '../support/statsd-daemon.js';

describe('StatsD encoding', () => {
  it('splits any count into parts that the daemon scales back exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000_000 }), (count) => {
        const parts = exactParts(count);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(count);
        for (const p of parts) expect(1 / Number(String(1 / p))).toBe(p);
        expect(parts.length).toBeLessThanOrEqual(4);
      }),
    );
  });

  it('keeps protocol separators out of names and tags', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (name, k, v) => {
        for (const flavor of ['etsy', 'dogstatsd', 'telegraf'] as const) {
          const line = statsdLine(`m${name}`, 1, 'c', [[`k${k}`, v]], flavor);
          expect(line).not.toMatch(/\n/);
          expect(line.split('|')).toHaveLength(flavor === 'dogstatsd' ? 3 : 2);
          expect(line.split(':').length).toBe(flavor === 'dogstatsd' ? 3 : 2);
        }
        expect(sanitizeName(name)).not.toMatch(/[:|@#,;=\s]/);
      }),
    );
  });

  it('packs lines into datagrams within the MTU, in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).map((s) => s.replace(/\n/g, '_')),
          { maxLength: 60 },
        ),
        fc.integer({ min: 64, max: 600 }),
        (lines, mtu) => {
          const packets = packLines(lines, mtu);
          expect(packets.flatMap((p) => p.split('\n'))).toEqual(lines);
          for (const p of packets) if (p.includes('\n')) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(mtu);
        },
      ),
    );
  });
});

describe('every StatsD type the encoder writes', () => {
  it('c, g, ms, h and s lines with sample rates arrive as the Etsy daemon defines them', async () => {
    const daemon = await StatsdDaemon.start();
    try {
      const lines = [
        statsdLine('hits', 2, 'c', [], 'etsy', 0.5), // counts as 4
        statsdLine('temp', 0, 'g', [], 'etsy'),
        statsdLine('temp', -3, 'g', [], 'etsy'),
        statsdLine('rt', 120, 'ms', [], 'etsy', 0.25), // counts as 4 timings
        statsdLine('size', 5, 'h', [], 'etsy'), // the Etsy daemon treats h as a counter
        statsdLine('users', 'alice', 's', [], 'etsy'),
        statsdLine('users', 'bob', 's', [], 'etsy'),
        statsdLine('users', 'alice', 's', [], 'etsy'),
      ];
      const socket = createSocket('udp4');
      await new Promise<void>((r) => socket.send(packLines(lines, 1432)[0]!, daemon.port, '127.0.0.1', () => r()));
      socket.close();
      await daemon.until((t) => t.sets.get('users') === 2 && t.timers.get('rt') === 4);
      expect(daemon.totals.counters.get('hits')).toBe(4);
      expect(daemon.totals.gauges.get('temp')).toBe(-3);
      expect(daemon.totals.timers.get('rt')).toBe(4);
      expect(daemon.totals.counters.get('size')).toBe(5);
      expect(daemon.totals.sets.get('users')).toBe(2);
    } finally {
      await daemon.stop();
    }
  });
});

const cases = [
  { flavor: 'etsy', protocol: 'udp', tag: (k: string, v: string) => `;${k}=${v}` },
  { flavor: 'dogstatsd', protocol: 'udp', tag: (k: string, v: string) => `;${k}=${v}` },
  { flavor: 'etsy', protocol: 'tcp', tag: (k: string, v: string) => `;${k}=${v}` },
  // The Etsy daemon strips "," from keys: telegraf tags arrive glued to the name.
  { flavor: 'telegraf', protocol: 'udp', tag: (k: string, v: string) => `${k}=${v}` },
] as const;

describe.each(cases)('the Etsy statsd daemon receives $flavor over $protocol', ({ flavor, protocol, tag }) => {
  let daemon: StatsdDaemon | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it('counter totals, gauges and timer counts exactly as recorded, over several flushes and at shutdown', async () => {
    daemon = await StatsdDaemon.start(protocol);
    const metrics = createMetrics({
      defaultLabels: { svc: 'demo' },
      collectionInterval: '1h', // flushes are driven by the test
      exporters: [{ type: 'statsd', port: daemon.port, protocol, flavor, mtu: 200 }],
    });
    const calls = metrics.counter('calls_total', { help: 'c', labelNames: ['tool'] as const });
    const temp = metrics.gauge('temp', { help: 't' });
    const latency = metrics.histogram('latency_seconds', { help: 'l', buckets: [0.1, 1], unit: 'seconds' });
    const sizes = metrics.summary('size', { help: 's', quantiles: [0.5] });

    calls.inc({ tool: 'search' }, 3);
    calls.inc({ tool: 'fetch' });
    temp.set(21.5);
    for (let i = 0; i < 49; i++) latency.observe(0.05); // 49: 1/(1/49) != 49 in floating point
    await metrics.flush();
    calls.inc({ tool: 'search' }, 4);
    temp.set(-7); // a negative gauge needs "0|g" first
    for (let i = 0; i < 10; i++) latency.observe(0.5);
    sizes.observe(100);
    sizes.observe(300);
    await metrics.flush();
    calls.inc({ tool: 'search' }, 0.5);
    latency.observe(30);
    await metrics.shutdown(); // the last increments travel in the final flush

    const svc = tag('svc', 'demo');
    const search = `calls${svc}${tag('tool', 'search')}`;
    await daemon.until((t) => t.counters.get(search) === 7.5 && t.timers.get(`latency_seconds${svc}`) === 60);
    expect([...daemon.totals.counters.keys()], [...daemon.totals.timers.keys()].join()).toContain(search);
    expect(daemon.totals.counters.get(search)).toBe(7.5);
    expect(daemon.totals.counters.get(`calls${svc}${tag('tool', 'fetch')}`)).toBe(1);
    expect(daemon.totals.gauges.get(`temp${svc}`)).toBe(-7);
    expect(daemon.totals.timers.get(`latency_seconds${svc}`)).toBe(60);
    if (flavor === 'etsy') expect(daemon.totals.timers.get(`size${svc}`)).toBe(2);
    // DogStatsD and Telegraf send plain observations as "h", which the Etsy daemon counts as a counter
    // of values: with our sample rates that adds up to exactly the observed sum.
    else expect(daemon.totals.counters.get(`size${svc}`)).toBe(400);
  });
});
