/** Working in a copy of the consumer project: shell commands, servers, TypeScript. */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NPM_ENV } from './setup.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** A private copy of `base` (files hard-linked, package.json copied): installs and writes there leave `base` alone. */
export function copyProject(base: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'omnimeter-doc-')), 'project');
  const cp = spawnSync('cp', ['-al', base, dir]);
  if (cp.status !== 0) throw new Error(`cp -al ${base} ${dir}: ${cp.stderr}`);
  rmSync(join(dir, 'package.json'));
  copyFileSync(join(base, 'package.json'), join(dir, 'package.json'));
  return dir;
}

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment every command gets: npm quiet and cache-first, OMNIMETER_PORT on a free port. */
export const commandEnv = (port: number, extra: Record<string, string> = {}) => ({
  ...process.env,
  ...NPM_ENV,
  OMNIMETER_PORT: String(port),
  ...extra,
});

/** Runs `command` with bash in `cwd`. */
export function sh(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr: signal === 'SIGKILL' ? `${stderr}\n[killed after ${timeoutMs} ms]` : stderr });
    });
  });
}

export interface Served extends Ran {
  /** What http://127.0.0.1:<port>/metrics answered. */
  metrics: string;
}

/**
 * Starts `command`, which serves metrics on `port` until interrupted: waits
 * (up to `readyMs`) for /metrics to answer 200, reads it, then sends SIGINT
 * to the whole process group, as Ctrl-C would, and waits for the end.
 */
export async function serveAndStop(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  port: number,
  readyMs = 240_000,
  ready: (metrics: string) => boolean = (metrics) => metrics.length > 0,
): Promise<Served> {
  const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, signal) => resolve([code, signal])),
  );
  let exited = false;
  void ended.then(() => (exited = true));
  let metrics = '';
  const deadline = Date.now() + readyMs;
  // Polls until the exposition is what the caller waits for (a server may answer before its first traffic).
  while (!exited && Date.now() < deadline && !ready(metrics)) {
    await sleep(250);
    metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => (r.ok ? r.text() : ''),
      () => '',
    );
  }
  if (!exited) process.kill(-child.pid!, 'SIGINT');
  const killer = setTimeout(() => !exited && process.kill(-child.pid!, 'SIGKILL'), 30_000);
  const [status, signal] = await ended;
  clearTimeout(killer);
  return { status, signal, stdout, stderr, metrics };
}

/**
 * Compiles `files` with the repository's TypeScript (the version a user
 * would install) in `cwd`, strict, with the settings `tsc --init` gives a
 * new project (skipLibCheck included, unless `options` say otherwise);
 * throws with tsc's output.
 */
export function tsc(cwd: string, files: string[], options: Record<string, string | boolean> = {}): void {
  const settings: Record<string, string | boolean> = {
    strict: true,
    skipLibCheck: true,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: 'es2024,dom',
    types: 'node',
    typeRoots: join(ROOT, 'node_modules', '@types'),
    outDir: 'out',
    ...options,
  };
  const args = Object.entries(settings).flatMap(([k, v]) => (v === true ? [`--${k}`] : v === false ? [] : [`--${k}`, String(v)]));
  const result = spawnSync(process.execPath, [TSC, ...args, ...files], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc ${files.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}
