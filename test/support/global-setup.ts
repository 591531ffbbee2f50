import { IN_CI, missingTools } from './tools.js';

export default function setup(): void {
  const missing = missingTools();
  if (missing.length === 0) return;
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!!! External validators missing: ${missing.join(', ')}\n` +
      `!!! ${IN_CI ? 'CI=true: the tests that need them will FAIL.' : 'Their tests are SKIPPED. Run `npm run test:all` (as root) to install them.'}\n${line}\n`,
  );
}
