// First run on a fresh clone: install from the lockfile so `npm start` / `npm test` work on their own.
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
if (!fs.existsSync(marker)) {
  console.log('node_modules is missing: installing from package-lock.json (npm ci) ...');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
