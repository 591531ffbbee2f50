// Installs npm dependencies from the lockfile when they are missing or older
// than the lockfile, so `npm start` works on a fresh clone as the README says.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.log('omnimeter: installing dependencies from package-lock.json (npm ci: about 2 minutes with an empty npm cache)...');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
