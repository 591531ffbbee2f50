/**
 * Building a guest component into `<outDir>/<name>/`, only when something it
 * depends on changed: `<name>.component.wasm`, `<name>.wit`, the transpiled
 * glue in `js/`, and `stamp.json` (see stamp.ts). One mechanism for every
 * kind of guest: a compile step turns sources into a component and reports
 * the files it read; this module decides whether to run it and writes the
 * result. `omnimeter build-guest` and the repository's wasm/build.mjs both
 * build through here.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, join, resolve } from 'node:path';
import { compileAssemblyScript } from './assemblyscript.js';
import { type Jco, loadJco, makeComponent, writeComponent } from './component.js';
import { installedPeerVersion } from './peers.js';
import { hashFiles, isFresh, writeStamp } from './stamp.js';
import { prepareWit } from './wit.js';

/** Bumped when the build itself changes what it produces: every stamp goes stale. */
const BUILD_FORMAT = 1;

export interface GuestBuild {
  name: string;
  /** `<outDir>/<name>` */
  dir: string;
  component: string;
  /** The transpiled glue folder (readComponent's argument). */
  js: string;
  /** False when the stamp showed nothing had changed. */
  built: boolean;
  bytes?: number;
  seconds: number;
}

export interface ComponentRecipe {
  name: string;
  outDir: string;
  /** What the build ran with: a change rebuilds (tool versions are added here). */
  settings: Record<string, unknown>;
  /** Files known before building (WIT, sources) that must be among the stamp's inputs. */
  knownInputs: readonly string[];
  /** Makes the component; returns it and every file it read, hashed as read. */
  compile(jco: Jco): Promise<{ component: Uint8Array; inputs: Record<string, string> }>;
  /** Rebuild even if fresh. */
  force?: boolean;
  /** For messages about missing peers: the command or script building. */
  feature: string;
  /** Called when a build starts (not when the output is current): progress for the impatient. */
  onStart?: () => void;
}

/**
 * Runs `fn` holding `<path>` (a directory: mkdir is atomic), so processes
 * building the same guest at once (parallel test files, two terminals) take
 * turns; the second then finds the output current. A lock left by a killed
 * build is taken over after ten minutes.
 */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(resolve(path, '..'), { recursive: true });
  for (;;) {
    try {
      await mkdir(path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const since = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (since > 600_000) await rm(path, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

/** Runs `recipe.compile` unless the stamp in `<outDir>/<name>` says its output is current. */
export function buildComponent(recipe: ComponentRecipe): Promise<GuestBuild> {
  const dir = join(resolve(recipe.outDir), recipe.name);
  return withLock(`${dir}.lock`, () => buildUnlocked(recipe, dir));
}

async function buildUnlocked(recipe: ComponentRecipe, dir: string): Promise<GuestBuild> {
  const started = performance.now();
  const out = { name: recipe.name, dir, component: join(dir, `${recipe.name}.component.wasm`), js: join(dir, 'js') };
  const stampPath = join(dir, 'stamp.json');
  const settings = { format: BUILD_FORMAT, ...recipe.settings };
  const complete = existsSync(out.component) && existsSync(join(out.js, `${recipe.name}.js`));
  if (!recipe.force && complete && (await isFresh(stampPath, settings, recipe.knownInputs)))
    return { ...out, built: false, seconds: (performance.now() - started) / 1000 };
  const jco = await loadJco(recipe.feature);
  recipe.onStart?.();
  await mkdir(dir, { recursive: true });
  const { component, inputs } = await recipe.compile(jco);
  const written = await writeComponent(jco, component, recipe.name, dir);
  await writeStamp(stampPath, settings, inputs);
  return { ...out, built: true, bytes: written.bytes, seconds: (performance.now() - started) / 1000 };
}

export interface AssemblyScriptGuest {
  /** The guest's AssemblyScript entry file. */
  source: string;
  /** Its world: a .wit file or a folder (omnimeter:metrics is added under deps/ unless present). */
  wit: string;
  /** The world to build; default: the only world of the WIT package. */
  world?: string;
  /** Default: the source file's name without .ts. */
  name?: string;
  /** Default: build */
  outDir?: string;
  /** Extra WIT dependency folders (for example a WASI subset). */
  witDeps?: readonly string[];
  force?: boolean;
  feature?: string;
  onStart?: () => void;
}

/** AssemblyScript → core module (asc) → component (jco), into `<outDir>/<name>/`. */
export async function buildAssemblyScriptGuest(guest: AssemblyScriptGuest): Promise<GuestBuild> {
  const name = guest.name ?? basename(guest.source).replace(/\.ts$/, '');
  const feature = guest.feature ?? 'building an AssemblyScript guest';
  const wit = await prepareWit(guest.wit, guest.witDeps);
  try {
    const witInputs = await hashFiles(wit.files);
    return await buildComponent({
      name,
      outDir: guest.outDir ?? 'build',
      settings: { kind: 'assemblyscript', world: guest.world ?? null, tools: toolVersions(['assemblyscript', '@bytecodealliance/jco']) },
      knownInputs: [resolve(guest.source), ...wit.files],
      force: guest.force,
      feature,
      onStart: guest.onStart,
      async compile(jco) {
        const core = await compileAssemblyScript(guest.source, feature);
        return { component: await makeComponent(jco, core.wasm, wit.dir, guest.world), inputs: { ...witInputs, ...core.inputs } };
      },
    });
  } finally {
    await wit.dispose();
  }
}

/** The installed versions of the tools a build uses: a different toolchain rebuilds. */
export const toolVersions = (peers: readonly string[]): Record<string, string | null> =>
  Object.fromEntries(peers.map((p) => [p, installedPeerVersion(p)]));
