// Runs the node:test suites (units, transports, demo server, CLI, webview in headless Chromium)
// with tsx. Usage: node scripts/test.js [dir-or-file ...]   (default: every suite)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const SUITES = ['test/unit', 'test/demo', 'test/transports', 'test/cli', 'test/webview'];

function collect(p) {
  const abs = path.join(root, p);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [p];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? collect(path.join(p, d.name)) : d.name.endsWith('.test.ts') ? [path.join(p, d.name)] : []))
    .sort();
}

const args = process.argv.slice(2);
const files = (args.length ? args : SUITES).flatMap(collect);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// One file at a time: the suites start real servers and a browser, and this machine has 2 cores.
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=120000', ...files], { cwd: root, stdio: 'inherit' });
process.exit(res.status ?? 1);
