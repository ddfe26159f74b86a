// Compiles the extension-host test suite (test/vscode/suite/*.ts) to
// out/test/vscode/suite/*.js, one CommonJS bundle per file, for VS Code to load
// with `require` inside the extension host.
//
// `vscode` is provided by the extension host and `mocha` is loaded at run time
// from node_modules (a devDependency), so both stay external. Bundling each
// file keeps imports of src/ code working without a separate tsc emit.
//
// Usage: node scripts/build-vscode-tests.js
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const suiteDir = path.join(root, 'test/vscode/suite');
const outDir = path.join(root, 'out/test/vscode/suite');

async function main() {
  const entryPoints = fs
    .readdirSync(suiteDir)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => path.join(suiteDir, name));
  if (!entryPoints.some((file) => path.basename(file) === 'index.ts')) {
    throw new Error(`${path.relative(root, suiteDir)}/index.ts (the mocha loader) is missing`);
  }

  // Start clean so a deleted or renamed test does not linger as a stale .js.
  fs.rmSync(outDir, { recursive: true, force: true });

  await esbuild.build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    // For debuggers. Stack traces stay in the .js bundles (unminified, so
    // readable): the extension host installs its own Error.prepareStackTrace,
    // which bypasses Node's source-map support.
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  console.log(`built ${entryPoints.length} test bundle(s) into ${path.relative(root, outDir)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
