/**
 * Global setup of the `package` test project: what a new user gets. Packs
 * the repository (`npm pack`, whose prepack builds dist/ and the shipped
 * components from source, reusing what `npm run build:wasm` made when it is
 * current), installs the tarball into an empty project outside the
 * repository (so nothing resolves from the repository's node_modules), and
 * measures that install. The test files copy the project and work in it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type InstallReport, measureInstall } from './measure.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface ConsumerFixture {
  /** The packed tarball. */
  tarball: string;
  /** Files in the tarball (package/... stripped). */
  files: string[];
  /** A project with only omnimeter installed from the tarball; copy it, never change it. */
  project: string;
  install: InstallReport;
}

declare module 'vitest' {
  export interface ProvidedContext {
    consumer: ConsumerFixture;
  }
}

/** npm without prompts, audits, funding notes or update checks; packages from the local cache when it has them. */
export const NPM_ENV = {
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_prefer_offline: 'true',
};

function npm(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const started = performance.now();
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, ...NPM_ENV }, maxBuffer: 64 << 20 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds: (performance.now() - started) / 1000 };
}

export default function setup(project: TestProject): () => void {
  const work = mkdtempSync(join(tmpdir(), 'omnimeter-consumer-'));
  const packed = npm(['pack', '--pack-destination', work], ROOT);
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stdout}\n${packed.stderr}`);
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  const files = listing.stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));

  const dir = join(work, 'project');
  rmSync(dir, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const install = npm(['install', tarball], dir);
  if (install.status !== 0) throw new Error(`npm install of the tarball failed:\n${install.stdout}\n${install.stderr}`);
  const ls = npm(['ls', '--all'], dir);
  const report = measureInstall(dir, {
    seconds: install.seconds,
    output: `${install.stdout}${install.stderr}`,
    lsStatus: ls.status,
    lsOutput: `${ls.stdout}${ls.stderr}`,
    tarballBytes: readFileSync(tarball).length,
  });
  project.provide('consumer', { tarball, files, project: dir, install: report });
  return () => {
    if (!process.env.OMNIMETER_KEEP_CONSUMER) rmSync(work, { recursive: true, force: true });
  };
}
