#!/usr/bin/env node
// The CLI lives in the bundle built by `npm run build` (dist/cli.js).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('realtime-inspector: dist/cli.js is missing; run `npm run build` first.');
  process.exit(1);
}
require(cli).runCli(process.argv.slice(2));
