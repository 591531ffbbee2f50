/**
 * Debian's Chromium, driven by Playwright: browsers cannot be downloaded on
 * these machines (shared/notes/verifiers.md). One definition for the
 * conformance run in vitest's browser mode and the demo's end-to-end test.
 */
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.OMNIMETER_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);
