/**
 * Optional peer dependencies: packages only some features need (building
 * and transpiling components), which an install of omnimeter does not pull
 * in. A feature loads its peer here, on first use, and a missing or
 * mismatched peer becomes one message that names the package and the
 * command that installs it. Versions come from our package.json, the one
 * place they are written.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from './locations.js';

/** Peers resolve from omnimeter's own folder (not import.meta, which a CommonJS bundle leaves empty). */
const requireHere = (): NodeJS.Require => createRequire(join(packageRoot(), 'package.json'));

/** omnimeter's own package.json. */
function ownPackage(): { peerDependencies?: Record<string, string> } {
  return requireHere()('./package.json') as { peerDependencies?: Record<string, string> };
}

/** The range our package.json declares for `name` (it must be a declared peer). */
export function peerRange(name: string): string {
  const range = ownPackage().peerDependencies?.[name];
  if (!range) throw new Error(`${name} is not a peer dependency of omnimeter`);
  return range;
}

/** Raised when a feature needs a peer that is not installed, or not in a version that works. */
export class MissingPeerError extends Error {
  constructor(
    readonly peer: string,
    message: string,
  ) {
    super(message);
    this.name = 'MissingPeerError';
  }
}

const installHint = (name: string) => `npm install -D ${name}@${peerRange(name).replace(/^[\^~]/, '')}`;

/** The installed version of a package, found from its resolved entry (exports maps often hide package.json). */
function installedVersion(name: string, entry: string): string | undefined {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json at this level: keep walking up
    }
  }
  return undefined;
}

/** Where `specifier` resolves from omnimeter's location (so the user's node_modules serve it), if anywhere. */
function resolvePeer(specifier: string): string | undefined {
  try {
    return requireHere().resolve(specifier);
  } catch {
    try {
      return new URL(import.meta.resolve(specifier)).pathname; // ESM-only entries (no require condition)
    } catch {
      return undefined;
    }
  }
}

/** The version of `peer` installed where omnimeter would load it from, or null. */
export function installedPeerVersion(peer: string): string | null {
  const entry = resolvePeer(peer);
  return (entry && installedVersion(peer, entry)) ?? null;
}

/**
 * Imports `specifier` (a peer package or one of its subpaths) for `feature`.
 * Throws a MissingPeerError naming the install command when the peer is
 * absent, or when our package.json pins an exact version and another is
 * installed (jco's generated glue and API change between releases; ranges
 * are left to npm, which reports them at install).
 */
export async function importPeer<T>(peer: string, feature: string, specifier = peer): Promise<T> {
  const entry = resolvePeer(specifier);
  if (!entry)
    throw new MissingPeerError(
      peer,
      `${feature} needs the package ${peer}, an optional peer dependency of omnimeter that is not installed. Install it: ${installHint(peer)}`,
    );
  const version = installedVersion(peer, entry);
  const range = peerRange(peer);
  if (version !== undefined && /^\d+\.\d+\.\d+$/.test(range) && version !== range)
    throw new MissingPeerError(
      peer,
      `${feature} needs ${peer} ${range}; ${version} is installed. Install the supported version: ${installHint(peer)}`,
    );
  return (await import(specifier)) as T;
}
