// `npm run demo:browser`: the browser demo on Vite's dev server.
// `npm run demo:browser:static`: the production build (vite build), served
// statically by `vite preview`. Both on 127.0.0.1 only; a fresh checkout
// installs dependencies and builds the two example components first.
import './ensure-deps.mjs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = `${root}browser-demo/vite.config.ts`;

const { buildMissing } = await import('../wasm/build.mjs');
await buildMissing(['json-tool', 'cpu-tool']); // from source, on a fresh checkout

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
