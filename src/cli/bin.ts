#!/usr/bin/env node
/**
 * The `omnimeter` executable (package.json `bin`). It always runs the CLI,
 * however it was reached: npx, node_modules/.bin, a global install or a
 * bin symlink, where `process.argv[1]` is the link rather than this file,
 * so main.ts is a plain module with no "am I the entry point?" test.
 */
import { RUNNING, main } from './main.js';

const status = await main(process.argv.slice(2));
if (status !== RUNNING) process.exitCode = status;
