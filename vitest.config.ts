import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from './test/support/chromium.js';
import { IN_CI } from './test/support/ci.js';

// Files named *.browser.test.ts run in Chromium (vitest's browser mode);
// everything else in Node. Without Chromium the browser project is left out
// with a warning (global-setup), except under CI where its launch fails.
const browser = chromiumAvailable() || IN_CI;
// The soak test measures scrape latency: it runs alone (`npm run test:soak`,
// which test:all runs after the rest), not beside other test files.
const soak = process.env.OMNIMETER_SOAK === '1';

export default defineConfig({
  test: {
    testTimeout: 120_000, // a bound on hangs, not a speed check: shared or slow machines must not fail
    hookTimeout: 180_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: soak ? ['test/soak/**/*.test.ts'] : ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts', 'test/package/**', ...(soak ? [] : ['test/soak/**'])],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        // The package as users get it: packed, installed into a fresh project
        // (once, by the global setup), its docs and commands run there. One
        // file at a time: their servers and installs would compete.
        extends: true,
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          globalSetup: ['test/package/setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      ...(browser
        ? [
            {
              extends: true as const,
              // Chromium has no decorator syntax yet: lower it as Node's transform does.
              esbuild: { target: 'es2022' },
              // Pre-bundled up front: a mid-run discovery reloads the page under the tests.
              optimizeDeps: { include: ['zod', '@opentelemetry/api', '@bytecodealliance/preview2-shim/instantiation'] },
              test: {
                name: 'chromium',
                include: ['test/**/*.browser.test.ts'],
                browser: {
                  enabled: true,
                  headless: true,
                  screenshotFailures: false,
                  provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } }),
                  instances: [{ browser: 'chromium' as const }],
                },
              },
            },
          ]
        : []),
    ],
  },
});
