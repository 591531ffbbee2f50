/**
 * The real Etsy StatsD daemon (npm statsd@0.9.0) on loopback, flushing
 * through its graphite backend into a TCP sink we read: counter and timer
 * counts summed over flushes, the last value of each gauge.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

const require = createRequire(import.meta.url);

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface StatsdTotals {
  counters: Map<string, number>;
  timers: Map<string, number>;
  gauges: Map<string, number>;
  /** Distinct members per flush, summed over flushes. */
  sets: Map<string, number>;
}

export class StatsdDaemon {
  /** The daemon's own output, for failure messages. */
  log = '';
  private constructor(
    /** What the daemon has flushed, filled in by the graphite sink. */
    readonly totals: StatsdTotals,
    readonly port: number,
    private readonly mgmtPort: number,
    private readonly process: ChildProcess,
    private readonly sink: Server,
    private readonly dir: string,
  ) {}

  /**
   * `flushInterval` (ms, default 200): a long one keeps the daemon from
   * flushing while a test sends a lot; read what arrived with `counters()`.
   */
  static async start(server: 'udp' | 'tcp' = 'udp', options: { flushInterval?: number } = {}): Promise<StatsdDaemon> {
    const daemonDir = join(require.resolve('statsd/package.json'), '..');
    let buffer = '';
    const totals: StatsdTotals = { counters: new Map(), timers: new Map(), gauges: new Map(), sets: new Map() };
    const sink = createServer((socket) => {
      socket.on('data', (data: Buffer) => {
        buffer += data.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) record(totals, line);
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const sinkPort = (sink.address() as AddressInfo).port;
    const port = await freeUdpPort();
    const mgmtPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-statsd-'));
    const config = {
      address: '127.0.0.1',
      port,
      mgmt_address: '127.0.0.1',
      // 0 is not "any port" to the daemon: it falls back to 8126, which a daemon
      // another run leaked would hold (every later start then dies). Pick a free one.
      mgmt_port: mgmtPort,
      flushInterval: options.flushInterval ?? 200,
      server: `./servers/${server}`,
      backends: ['./backends/graphite'],
      graphiteHost: '127.0.0.1',
      graphitePort: sinkPort,
      graphite: { legacyNamespace: false, globalPrefix: 's' },
    };
    writeFileSync(join(dir, 'config.js'), JSON.stringify(config));
    const child = spawn(process.execPath, [join(daemonDir, 'stats.js'), join(dir, 'config.js')], { cwd: daemonDir });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`statsd did not start:\n${log}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('server is up')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      child.once('exit', () => reject(new Error(`statsd exited:\n${log}`)));
    });
    const daemon = new StatsdDaemon(totals, port, mgmtPort, child, sink, dir);
    child.stdout!.on('data', (d: Buffer) => (daemon.log += d.toString()));
    // A daemon outliving its test (a timeout, a crash) would keep taking packets meant for the next one.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    child.once('exit', () => process.off('exit', kill));
    await daemon.probe(server, (options.flushInterval ?? 200) > 1000);
    return daemon;
  }

  /** The daemon's counters since its last flush, read from its management port (no flush needed). */
  async counters(): Promise<Map<string, number>> {
    const text = await new Promise<string>((resolve, reject) => {
      let out = '';
      const c = connect(this.mgmtPort, '127.0.0.1', () => c.write('counters\n'));
      c.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('END')) {
          c.end();
          resolve(out);
        }
      });
      c.on('error', reject);
    });
    // util.inspect's output: `'calls;i=1': 2` for keys that need quotes, `plain: 2` for the others.
    return new Map([...text.matchAll(/(?:'([^']+)'|([\w$.]+)): ([-\d.e+]+)/g)].map((m) => [m[1] ?? m[2]!, Number(m[3])]));
  }

  /**
   * "server is up" is logged before the socket is bound: packets sent right
   * after it are lost. Send a probe until it comes back through a flush.
   */
  private async probe(server: 'udp' | 'tcp', viaManagement: boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    const send = async () => {
      if (server === 'udp') {
        const s = createSocket('udp4');
        await new Promise<void>((r) => s.send('omnimeter_probe:1|c', this.port, '127.0.0.1', () => r()));
        s.close();
      } else {
        await new Promise<void>((resolve) => {
          const c = connect(this.port, '127.0.0.1', () => c.end('omnimeter_probe:1|c\n', () => resolve()));
          c.on('error', () => resolve());
        });
      }
    };
    const arrived = async () =>
      viaManagement
        ? (await this.counters().catch(() => new Map<string, number>())).has('omnimeter_probe') // not listening yet: try again
        : this.totals.counters.has('omnimeter_probe');
    while (!(await arrived())) {
      if (Date.now() > deadline)
        throw new Error(`statsd never answered the probe: ${JSON.stringify([...this.totals.counters])} \n${this.log}`);
      await send();
      await new Promise((r) => setTimeout(r, 100));
    }
    this.totals.counters.clear();
    this.totals.timers.clear();
    this.totals.gauges.clear();
    this.totals.sets.clear();
  }

  /** Waits (bounded) until `check` holds on what the daemon has flushed. */
  async until(check: (t: StatsdTotals) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.totals)) {
      if (Date.now() > deadline) return; // the assertions that follow report what arrived
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 450)); // two more flushes: nothing extra may arrive
  }

  async stop(): Promise<void> {
    this.process.kill('SIGKILL'); // it renames itself to "statsd": keep the pid from spawn
    await new Promise<void>((r) => this.sink.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `s.counters.name.count;k=v 3 1700000000` → totals. */
function record(totals: StatsdTotals, line: string): void {
  const [path, raw] = line.split(' ');
  if (!path || raw === undefined) return;
  const value = Number(raw);
  const [base, ...tags] = path.split(';');
  const counter = /^s\.counters\.(.+)\.count(;.*)?$/.exec(path);
  if (counter) {
    const k = counter[1]! + (counter[2] ?? '');
    if (!k.startsWith('statsd.')) totals.counters.set(k, (totals.counters.get(k) ?? 0) + value);
    return;
  }
  const timer = /^s\.timers\.(.+)\.count(;.*)?$/.exec(path);
  if (timer) {
    const k = timer[1]! + (timer[2] ?? '');
    totals.timers.set(k, (totals.timers.get(k) ?? 0) + value);
    return;
  }
  const set = /^s\.sets\.(.+)\.count(;.*)?$/.exec(path);
  if (set) {
    const k = set[1]! + (set[2] ?? '');
    totals.sets.set(k, (totals.sets.get(k) ?? 0) + value);
    return;
  }
  const gauge = /^s\.gauges\.(.+)$/.exec(base!);
  if (gauge && !gauge[1]!.startsWith('statsd.')) totals.gauges.set(gauge[1]! + (tags.length ? `;${tags.join(';')}` : ''), value);
}
