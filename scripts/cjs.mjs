// CommonJS entry points, generated from package.json's `exports`: for every
// `require` condition, dist/cjs/<entry>.js loads the ES module of the
// matching `import` condition with require() (require(esm), on by default
// since Node 20.19), so CommonJS and ESM code share one copy of omnimeter
// (one registry, one MetricsError class). Its types are the ES module's
// declarations copied under dist/cjs/, whose package.json says "commonjs":
// TypeScript then reads them as CommonJS declarations, which every
// `moduleResolution` accepts from a require().
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** [require target, import target] pairs of every export in the map. */
function requireEntries(exportsMap) {
  const pairs = [];
  const visit = (node) => {
    if (typeof node !== 'object' || node === null) return;
    if (node.require?.default && node.import?.default) pairs.push([node.require.default, node.import.default]);
    for (const [key, value] of Object.entries(node)) if (key !== 'require' && key !== 'import') visit(value);
  };
  visit(exportsMap);
  return pairs;
}

const shim = (esm) => `'use strict';
// require('omnimeter…') gets the ES module itself (require(esm)): one copy of omnimeter for CommonJS and ESM callers.
try {
  module.exports = require(${JSON.stringify(esm)});
} catch (error) {
  if (error && error.code === 'ERR_REQUIRE_ESM')
    throw new Error('omnimeter: require() of omnimeter needs Node.js >= 20.19 (require of ES modules); on older Node.js use import() or upgrade', { cause: error });
  throw error;
}
`;

/** Copies every .d.ts under `from` (but not `to` itself) to the same place under `to`. */
function copyDeclarations(from, to, dir = from) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== to) copyDeclarations(from, to, path);
    } else if (entry.name.endsWith('.d.ts')) {
      const target = join(to, relative(from, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
    }
  }
}

export function writeCommonJsEntries(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dist = join(root, 'dist');
  const cjs = join(dist, 'cjs');
  mkdirSync(cjs, { recursive: true });
  writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
  copyDeclarations(dist, cjs);
  for (const [cjsPath, esmPath] of requireEntries(pkg.exports)) {
    const file = join(root, cjsPath);
    mkdirSync(dirname(file), { recursive: true });
    let target = relative(dirname(file), join(root, esmPath));
    if (!target.startsWith('.')) target = `./${target}`;
    writeFileSync(file, shim(target));
  }
}
