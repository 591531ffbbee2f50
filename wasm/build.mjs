// Builds the example guest components from source into .cache/wasm/<name>/
// (never committed), through the same mechanism as `omnimeter build-guest`
// (src/build): each guest is rebuilt only when a file it read, its WIT or
// a tool version changed (content stamps), so a warm run takes a second.
//
//   node wasm/build.mjs              every guest that changed
//   node wasm/build.mjs cpu-tool     one guest
//   node wasm/build.mjs --force      rebuild even if up to date
//
// To add a guest: write wasm/examples/<name>.ts, add its world to
// wasm/examples/examples.wit, and add a line to GUESTS below.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from '../scripts/build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, '.cache', 'wasm');
const WIT = join(root, 'wasm', 'examples', 'examples.wit');
/** WIT packages the examples import besides omnimeter:metrics (subsets of wasi:clocks and wasi:otel; the tools a script runtime gives scripts). */
const WIT_DEPS = [
  join(root, 'wasm', 'examples', 'wasi'),
  join(root, 'wasm', 'examples', 'script'),
  join(root, 'wasm', 'examples', 'wasi-otel'),
];

/**
 * The guests. `assemblyscript`: asc, exports renamed to kebab-case, then a
 * component (jco 1.12). `componentize`: TypeScript bundled by esbuild with
 * the omnimeter core it imports, made a component by componentize-js
 * (StarlingMonkey). The world is the guest's name.
 */
export const GUESTS = [
  { name: 'cpu-tool', kind: 'assemblyscript', source: 'wasm/examples/cpu-tool.ts' },
  { name: 'json-tool', kind: 'assemblyscript', source: 'wasm/examples/json-tool.ts' },
  { name: 'hostile', kind: 'assemblyscript', source: 'wasm/examples/hostile.ts' },
  { name: 'wasi-tool', kind: 'assemblyscript', source: 'wasm/examples/wasi-tool.ts' },
  { name: 'demo-script', kind: 'assemblyscript', source: 'wasm/examples/demo-script.ts' },
  { name: 'ts-tool', kind: 'componentize', source: 'wasm/examples/ts-tool.ts' },
  { name: 'engine', kind: 'componentize', source: 'wasm/examples/engine.ts' },
  { name: 'otel-tool', kind: 'componentize', source: 'wasm/examples/otel-tool.ts' },
];

/** The build mechanism lives in src/build (compiled to dist/ first if stale). */
async function mechanism() {
  buildDist({ ifStale: true });
  return import('../dist/build/index.js');
}

/**
 * A TypeScript guest: esbuild bundles it, componentize-js makes the
 * component with every optional WASI feature disabled, so it imports
 * nothing but what its world names.
 */
function componentizeRecipe(guest, build, wit) {
  return async () => {
    const { build: esbuild } = await import('esbuild');
    const { componentize } = await import('@bytecodealliance/componentize-js');
    const bundle = join(OUT, guest.name, `${guest.name}.bundle.js`);
    const { metafile } = await esbuild({
      entryPoints: [join(root, guest.source)],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outfile: bundle,
      external: ['omnimeter:*', 'wasi:*'],
      metafile: true,
      logLevel: 'silent',
    });
    const read = await build.hashFiles(Object.keys(metafile.inputs).map((f) => resolve(root, f)));
    const { component } = await componentize({
      sourcePath: bundle,
      witPath: wit.dir,
      worldName: guest.name,
      disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'],
    });
    await rm(bundle);
    return { component, read };
  };
}

async function buildOne(guest, build, options) {
  const feature = `node wasm/build.mjs (${guest.name})`;
  const common = { name: guest.name, outDir: OUT, force: options.force, feature, onStart: options.onStart };
  if (guest.kind === 'assemblyscript') {
    return build.buildAssemblyScriptGuest({ ...common, source: join(root, guest.source), wit: WIT, world: guest.name, witDeps: WIT_DEPS });
  }
  const wit = await build.prepareWit(WIT, WIT_DEPS);
  try {
    const compile = componentizeRecipe(guest, build, wit);
    return await build.buildComponent({
      ...common,
      settings: {
        kind: 'componentize',
        world: guest.name,
        tools: build.toolVersions(['@bytecodealliance/componentize-js', '@bytecodealliance/jco', 'esbuild']),
      },
      knownInputs: [join(root, guest.source), ...wit.files],
      async compile() {
        const { component, read } = await compile();
        return { component, inputs: { ...(await build.hashFiles(wit.files)), ...read } };
      },
    });
  } finally {
    await wit.dispose();
  }
}

/**
 * Builds `names` (default: every guest) whose inputs changed, printing
 * progress: a fresh checkout's first build takes a minute or two (the
 * componentize-js guests dominate), a warm one a second.
 */
export async function build(names = [], options = {}) {
  const log = options.log ?? console.log;
  const unknown = names.filter((n) => !GUESTS.some((g) => g.name === n));
  if (unknown.length) throw new Error(`no such guest: ${unknown.join(', ')} (guests: ${GUESTS.map((g) => g.name).join(', ')})`);
  const selected = names.length ? GUESTS.filter((g) => names.includes(g.name)) : GUESTS;
  const mech = await mechanism();
  const started = performance.now();
  const results = await Promise.all(
    selected.map(async (guest) => {
      const onStart = () =>
        log(`  building ${guest.name} (${guest.kind === 'componentize' ? 'componentize-js: about a minute' : 'AssemblyScript'})...`);
      const result = await buildOne(guest, mech, { force: options.force, onStart });
      log(
        result.built
          ? `  built ${guest.name} (${guest.kind}) in ${result.seconds.toFixed(1)} s: ${result.bytes} bytes -> ${result.component}`
          : `  ${guest.name}: up to date`,
      );
      return result;
    }),
  );
  const built = results.filter((r) => r.built).length;
  log(`wasm build: ${built} of ${results.length} component(s) rebuilt in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return results;
}

/** Kept for callers written before builds became incremental: the same as build(). */
export const buildMissing = (names = [], options = {}) => build(names, options);

/** The transpiled glue folder of a built guest. */
export const guestDir = (name) => join(OUT, name, 'js');

export const isBuilt = (name) => existsSync(join(guestDir(name), `${name}.js`));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  await build(names, { force: args.includes('--force') }).catch((error) => {
    console.error(`wasm build: ${error.message}`);
    process.exit(1);
  });
}
