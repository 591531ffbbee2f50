import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('handleSignals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('flushes every exporter on %s, then exits by that signal', async (signal) => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-signal-'));
    const out = join(dir, 'metrics.json');
    const entry = new URL('../../src/node/index.ts', import.meta.url).pathname;
    // A child process that records, then waits to be signalled (bundled from source by esbuild).
    const source = join(dir, 'child.ts');
    writeFileSync(
      source,
      `import { createMetrics } from ${JSON.stringify(entry)};
       const m = createMetrics({ handleSignals: true, collectionInterval: '1h', exporters: [{ type: 'json', path: ${JSON.stringify(out)} }] }, {});
       m.counter('jobs_total', { help: 'j' }).inc(42);
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    // Inside the repo (git-ignored .cache/), so the bundle resolves the project's packages.
    const root = new URL('../..', import.meta.url).pathname;
    mkdirSync(join(root, '.cache'), { recursive: true });
    const script = join(mkdtempSync(join(root, '.cache', 'signal-')), 'child.mjs');
    await build({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: script,
      packages: 'external',
      logLevel: 'silent',
      absWorkingDir: new URL('../..', import.meta.url).pathname,
    });
    const child = spawn(process.execPath, [script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: new URL('../..', import.meta.url).pathname,
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill(signal);
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(exit).toBe(signal);
    const snapshot = JSON.parse(readFileSync(out, 'utf8'));
    expect(snapshot.metrics.find((f: { name: string }) => f.name === 'jobs').series[0].value).toBe(42);
  });
});
