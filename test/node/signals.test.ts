import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_ENTRY, ROOT, bundleChild } from '../support/child.js';
import { freePort } from '../support/ports.js';

/** A child that records 42 jobs with handleSignals on, prints 'ready' and waits to be signalled. */
async function signalledChild(exporters: unknown[], extra = '') {
  const script = await bundleChild(
    'signal-',
    `import { createMetrics } from ${NODE_ENTRY};
     const m = createMetrics({ handleSignals: true, collectionInterval: '1h', ${extra} exporters: ${JSON.stringify(exporters)} }, {});
     m.counter('jobs_total', { help: 'j' }).inc(42);
     await m.ready();
     console.log('ready');
     setInterval(() => {}, 1000);`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  return { child, exited };
}

const jobs = (path: string) =>
  JSON.parse(readFileSync(path, 'utf8')).metrics.find((f: { name: string }) => f.name === 'jobs').series[0].value;

describe('handleSignals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('flushes every exporter on %s, then exits by that signal', async (signal) => {
    const out = join(mkdtempSync(join(tmpdir(), 'omnimeter-signal-')), 'metrics.json');
    const { child, exited } = await signalledChild([{ type: 'json', path: out }]);
    child.kill(signal);
    expect(await exited).toBe(signal);
    expect(jobs(out)).toBe(42);
  });

  it('exits on SIGTERM while a client holds a half-sent request (shutdown never finished before)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'omnimeter-signal-')), 'metrics.json');
    const port = await freePort();
    const { child, exited } = await signalledChild(
      [
        { type: 'prometheus', port },
        { type: 'json', path: out },
      ],
      "shutdownTimeout: '3s',",
    );
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // no blank line: the headers never end
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    // A bound on the hang, far above the 3 s deadline: before the fix the child never exited.
    const hung = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const signal = await exited;
    clearTimeout(hung);
    socket.destroy();
    expect(signal).toBe('SIGTERM');
    expect(jobs(out)).toBe(42);
  });
});
