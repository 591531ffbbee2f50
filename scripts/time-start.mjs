// Measures what README.md promises about `npm start` on a fresh machine:
// a fresh clone of this repository's HEAD, an empty npm cache (so `npm ci`
// downloads everything), then `npm start` until /metrics answers (cold),
// stopped with Ctrl-C, and `npm start` again (warm). Prints the seconds.
//
//   node scripts/time-start.mjs [--keep-cache]    (--keep-cache: use the machine's npm cache)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'omnimeter-start-'));
const clone = join(work, 'omnimeter');
execFileSync('git', ['clone', '--quiet', root, clone]);
const env = { ...process.env, OMNIMETER_PORT: String(19464 + Math.floor(Math.random() * 1000)) };
if (!process.argv.includes('--keep-cache')) env.npm_config_cache = join(work, 'npm-cache');

/** `npm start` until http://127.0.0.1:$OMNIMETER_PORT/metrics answers; the seconds that took, with npm start's own lines timed. */
async function start(label) {
  const started = performance.now();
  const child = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const note = (chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean))
      lines.push(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  };
  child.stdout.on('data', note);
  child.stderr.on('data', note);
  let seconds;
  while (seconds === undefined && child.exitCode === null && performance.now() - started < 900_000) {
    await sleep(200);
    const ok = await fetch(`http://127.0.0.1:${env.OMNIMETER_PORT}/metrics`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) seconds = (performance.now() - started) / 1000;
  }
  process.kill(-child.pid, 'SIGINT');
  await new Promise((resolve) => child.on('close', resolve));
  console.log(`${label}: /metrics answered after ${seconds?.toFixed(1) ?? 'never'} s`);
  for (const line of lines) console.log(`   ${line}`);
  return seconds;
}

try {
  console.log(`fresh clone in ${clone}; npm cache ${env.npm_config_cache ?? 'the machine’s'}; node ${process.version}`);
  await start('cold npm start');
  await start('warm npm start');
} finally {
  rmSync(work, { recursive: true, force: true });
}
