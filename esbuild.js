// One build for every bundle: extension host (node/cjs), CLI (node/cjs), webview (browser/esm).
// Usage: node esbuild.js [--watch] [--production]
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
};

/** The entry's `import('./lazy')` stays a runtime require of the second bundle. */
const lazyBundle = {
  name: 'lazy-bundle',
  setup(build) {
    build.onResolve({ filter: /^\.\/lazy$/ }, () => ({ path: './extension-lazy.js', external: true }));
  },
};

/** Only build entries that exist, so the tree builds while parts are still being written. */
const exists = (p) => fs.existsSync(path.join(__dirname, p));

const targets = [
  // The extension is two bundles: a small entry parsed at activation in every window, and
  // everything else (host, commands, transports), required by the entry on first use.
  exists('src/extension/extension.ts') && {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [lazyBundle],
  },
  exists('src/extension/lazy.ts') && {
    ...common,
    entryPoints: { 'extension-lazy': 'src/extension/lazy.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // ws optionally requires these native add-ons; they are not shipped.
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
  },
  exists('src/cli/main.ts') && {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['bufferutil', 'utf-8-validate'],
  },
  exists('src/webview/main.ts') && {
    ...common,
    entryPoints: { main: 'src/webview/main.ts' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    loader: { '.css': 'text', '.ttf': 'file' },
  },
].filter(Boolean);

function copyStatic() {
  // Codicons font + css for the webview (theme-aware icons).
  const from = path.join(__dirname, 'node_modules/@vscode/codicons/dist');
  const to = path.join(__dirname, 'dist/webview');
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

async function main() {
  if (watch) {
    const ctxs = await Promise.all(targets.map((t) => esbuild.context(t)));
    await Promise.all(ctxs.map((c) => c.watch()));
    copyStatic();
    console.log(`[watch] building ${targets.length} bundles`);
    return;
  }
  await Promise.all(targets.map((t) => esbuild.build(t)));
  copyStatic();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
