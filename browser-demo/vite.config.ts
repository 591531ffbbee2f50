/**
 * The browser demo: `npm run demo:browser` (dev server) or
 * `npm run demo:browser:static` (production build served statically).
 * `omnimeter/*` resolve to the sources, so the demo reads like user code and
 * needs no prior `npm run build`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: [
      { find: /^omnimeter\/browser\/exporters$/, replacement: src('browser/exporters.ts') },
      { find: /^omnimeter\/browser$/, replacement: src('browser/index.ts') },
      { find: /^omnimeter\/host$/, replacement: src('host/browser.ts') },
    ],
  },
  // Loopback only unless the operator says otherwise (--host).
  server: { host: '127.0.0.1', port: 5173, fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { host: '127.0.0.1', port: 4173 },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    rollupOptions: {
      // zod's sources carry comments Rollup moves with a notice; nothing for a reader to act on.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/')) return;
        warn(warning);
      },
    },
  },
  esbuild: { target: 'es2022' },
});
