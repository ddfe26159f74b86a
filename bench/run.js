// Entry of `npm run bench` (after `node esbuild.js --production`): the benchmark itself is
// TypeScript (bench/main.ts) so it runs the real src/transports code through tsx.
// Usage: node bench/run.js [--quick] [--runs=N] [--only=ws-recv,...]   (--help lists all)
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'main.ts'), ...process.argv.slice(2)], {
  cwd: path.join(__dirname, '..'),
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
