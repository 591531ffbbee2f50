/**
 * Rebuild only what changed: a build writes a stamp beside its output with
 * the sha256 of every input it read and the settings it ran with; the next
 * build is skipped when the same settings would read the same bytes.
 * Content hashes, not modification times, so a fresh clone or a `git
 * checkout` that touches files without changing them rebuilds nothing.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

export interface Stamp {
  /** What the build ran with (tool versions, options): any difference rebuilds. */
  settings: Record<string, unknown>;
  /** Absolute path → sha256 of its content when the build read it. */
  inputs: Record<string, string>;
}

export const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** Hashes `files` (a missing file hashes as "missing", so its return is a change too). */
export async function hashFiles(files: Iterable<string>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    [...new Set(files)].sort().map(async (file) => [file, await readFile(file).then(sha256, () => 'missing')] as const),
  );
  return Object.fromEntries(entries);
}

export async function readStamp(path: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/**
 * Whether the build that wrote the stamp at `path` would produce the same
 * output now: same settings, every input it read unchanged, and
 * `alsoInputs` (files the caller knows the build will read) among them.
 */
export async function isFresh(path: string, settings: Record<string, unknown>, alsoInputs: readonly string[] = []): Promise<boolean> {
  const stamp = await readStamp(path);
  if (!stamp || JSON.stringify(stamp.settings) !== JSON.stringify(settings)) return false;
  if (alsoInputs.some((file) => !(file in stamp.inputs))) return false;
  const now = await hashFiles(Object.keys(stamp.inputs));
  return Object.entries(stamp.inputs).every(([file, hash]) => now[file] === hash);
}

/** `inputs` hashed as the build read them (hashFiles before building, or the bytes a compiler was given). */
export async function writeStamp(path: string, settings: Record<string, unknown>, inputs: Record<string, string>): Promise<void> {
  const stamp: Stamp = { settings, inputs };
  await writeFile(path, `${JSON.stringify(stamp, null, 2)}\n`);
}
