// `npm run demo:browser`: the browser demo on Vite's dev server.
// `npm run demo:browser:static`: the production build (vite build), served
// statically by `vite preview`. Both on 127.0.0.1 only; a fresh checkout
// installs dependencies and builds the two example components first.
import './ensure-deps.mjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = `${root}browser-demo/vite.config.ts`;

const missing = ['json-tool', 'cpu-tool'].filter((name) => !existsSync(`${root}.cache/wasm/${name}/js/${name}.js`));
if (missing.length) {
  console.log(`browser demo: building ${missing.join(', ')} from source (npm run build:wasm)...`);
  const { build } = await import('../wasm/build.mjs');
  await build(missing);
}

const vite = await import('vite');
if (process.argv.includes('--static')) {
  await vite.build({ configFile, logLevel: 'warn' });
  const server = await vite.preview({ configFile });
  console.log('browser demo: the production build (browser-demo/dist), served statically:');
  server.printUrls();
} else {
  const server = await vite.createServer({ configFile });
  await server.listen();
  console.log('browser demo: open the page below; Ctrl-C stops.');
  server.printUrls();
}
