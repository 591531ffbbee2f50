// `npm run build`: src/ → dist/ (tsc), never committed; then the CommonJS
// entry points (see scripts/cjs.mjs). Writes dist/.stamp.json with the
// sha256 of every input, so `--if-stale` (npm start, the wasm build,
// prepack) skips the ~10 s compile when nothing changed.
//
//   node scripts/build.mjs             clean build
//   node scripts/build.mjs --if-stale  only if src/, tsconfig.json or package.json changed
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCommonJsEntries } from './cjs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampPath = join(root, 'dist', '.stamp.json');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** One hash over every input of the build, in a stable order. */
function inputsHash() {
  const hash = createHash('sha256');
  for (const file of [...files(join(root, 'src')), join(root, 'tsconfig.json'), join(root, 'package.json')].sort()) {
    hash.update(file.slice(root.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function stampedHash() {
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8')).inputs;
  } catch {
    return undefined;
  }
}

/** Compiles unless `ifStale` and dist/ was built from these exact inputs. Returns whether it compiled. */
export function buildDist({ ifStale = false, log = console.log } = {}) {
  const inputs = inputsHash();
  if (ifStale && stampedHash() === inputs) return false;
  const tscPath = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tscPath)) throw new Error('TypeScript is not installed here: run npm ci first (npm start does it for you)');
  const started = performance.now();
  log('omnimeter: compiling TypeScript into dist/ (tsc)...');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [tscPath, '-p', join(root, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status})`);
  writeCommonJsEntries(root);
  writeFileSync(stampPath, `${JSON.stringify({ inputs }, null, 2)}\n`);
  log(`omnimeter: dist/ built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    buildDist({ ifStale: process.argv.includes('--if-stale') });
  } catch (error) {
    console.error(`build: ${error.message}`);
    process.exit(1);
  }
}
