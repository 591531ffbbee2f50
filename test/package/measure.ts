/** What an install of the packed package costs: size on disk, packages, time, and what npm said. */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Size {
  /** Sum of file sizes. */
  bytes: number;
  /** Allocated on disk (st_blocks × 512): what `du` reports. */
  disk: number;
}

export interface InstallReport {
  seconds: number;
  /** npm install's stdout and stderr. */
  output: string;
  lsStatus: number | null;
  lsOutput: string;
  tarballBytes: number;
  /** Installed packages (omnimeter included). */
  packages: string[];
  total: Size;
  /** omnimeter's prebuilt engine component (components/engine), which the budget leaves out. */
  engine: Size;
  /** Each installed package's own files (nested node_modules not included), largest first. */
  byPackage: { name: string; size: Size }[];
}

function sizeOf(path: string, skip?: (path: string) => boolean): Size {
  const total = { bytes: 0, disk: 0 };
  const walk = (p: string) => {
    if (skip?.(p)) return;
    const stat = lstatSync(p);
    total.bytes += stat.isDirectory() ? 0 : stat.size;
    total.disk += stat.blocks * 512;
    if (stat.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  if (existsSync(path)) walk(path);
  return total;
}

/** Every package folder under a node_modules (scoped ones and nested node_modules included). */
function packageDirs(modules: string): string[] {
  if (!existsSync(modules)) return [];
  return readdirSync(modules)
    .filter((n) => !n.startsWith('.'))
    .flatMap((name) => (name.startsWith('@') ? readdirSync(join(modules, name)).map((n) => join(modules, name, n)) : [join(modules, name)]))
    .flatMap((dir) => [dir, ...packageDirs(join(dir, 'node_modules'))]);
}

export function measureInstall(project: string, npm: Omit<InstallReport, 'packages' | 'total' | 'engine' | 'byPackage'>): InstallReport {
  const modules = join(project, 'node_modules');
  const dirs = packageDirs(modules);
  const byPackage = dirs
    .map((dir) => ({ name: relative(modules, dir).replace(/node_modules\//g, ''), size: sizeOf(dir, (p) => p.endsWith('/node_modules')) }))
    .sort((a, b) => b.size.disk - a.size.disk);
  return {
    ...npm,
    packages: byPackage.map((p) => p.name).sort(),
    total: sizeOf(modules),
    engine: sizeOf(join(modules, 'omnimeter', 'components', 'engine')),
    byPackage,
  };
}

export const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
