/**
 * The packaged extension: `vsce package --no-dependencies` (what `npm run package` runs after a
 * production build) on this tree, into a temp dir. The .vsix must hold what the extension loads
 * and nothing else (.vscodeignore), and it must install into the VS Code the tests use
 * (code-server 4.96 = VS Code 1.96, with its own extensions dir).
 *
 * Packages the current dist/ (built by `node esbuild.js` when missing): a development build has
 * source maps next to the bundles, so the "no maps" check has something to exclude.
 * Needs code-server: bash scripts/install-code-server.sh.
 * Run: node --import tsx --test test/vscode/package-vsix.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const REPO = path.resolve(__dirname, '../..');
const VSCE = path.join(REPO, 'node_modules/@vscode/vsce/vsce');
const CODE_SERVER = path.join(REPO, '.vscode-test/code-server/out/node/entry.js');

interface Manifest {
  name: string;
  publisher: string;
  version: string;
  main: string;
  icon?: string;
  activationEvents?: string[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;

/** Entry names of a zip file, from its central directory (no unzip tool or library needed). */
function zipEntries(file: string): string[] {
  const buf = fs.readFileSync(file);
  // End of central directory record: signature, then (at +10) the entry count and (at +16) the directory's offset.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file} is not a zip file (no end of central directory record)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, `central directory entry ${n} of ${file}`);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout: number }): SpawnSyncReturns<string> {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (res.error) throw res.error;
  assert.equal(res.status, 0, `${path.basename(args[0] ?? cmd)} ${args.slice(1).join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
  return res;
}

let tmp: string;
let vsix: string;
let entries: string[];

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-vsix-'));
  vsix = path.join(tmp, 'realtime-inspector.vsix');
  if (!fs.existsSync(path.join(REPO, manifest.main)) || !fs.existsSync(path.join(REPO, 'dist/webview/main.js'))) {
    run(process.execPath, [path.join(REPO, 'esbuild.js')], { cwd: REPO, timeout: 60_000 });
  }
  run(process.execPath, [VSCE, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix], { cwd: REPO, timeout: 60_000 });
  entries = zipEntries(vsix);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The extension's files in the .vsix, relative to the extension root. */
const files = (): string[] => entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));

describe('the .vsix (vsce package --no-dependencies)', () => {
  it('holds the bundles, the codicons, the icon, package.json, README, CHANGELOG and LICENSE', () => {
    const have = new Set(files().map((f) => f.toLowerCase()));
    for (const f of ['package.json', 'dist/extension.js', 'dist/extension-lazy.js', 'dist/webview/main.js', 'dist/webview/codicon.css', 'dist/webview/codicon.ttf', 'media/icon.png', 'readme.md', 'changelog.md', 'license.txt']) {
      assert.ok(have.has(f), `${f} is missing from the .vsix; it has: ${files().join(', ')}`);
    }
    assert.ok(entries.includes('extension.vsixmanifest'), 'the VSIX manifest');
  });

  it('holds nothing of src, test, node_modules, .vscode-test, bench, scripts, docs, the CLI or source maps', () => {
    const forbidden = /^(src|test|node_modules|\.vscode-test|bench|out|scripts|docs|bin|test-results|\.git|\.ci)\/|\.map$|\.tsx?$|^dist\/cli\.js$|^tsconfig|^esbuild\.js$|^package-lock\.json$|\.vsix$/;
    const leaked = files().filter((f) => forbidden.test(f));
    assert.deepEqual(leaked, [], `files that must not ship: ${leaked.join(', ')}`);
    // Every file is one the list above expects: a new file in the package is a decision, not an accident.
    const expected = /^(package\.json|readme\.md|changelog\.md|license\.txt|media\/icon\.png|dist\/extension(-lazy)?\.js|dist\/webview\/[\w.-]+\.(js|css|ttf))$/i;
    const unexpected = files().filter((f) => !expected.test(f));
    assert.deepEqual(unexpected, [], `unexpected files in the .vsix: ${unexpected.join(', ')}`);
  });

  it('ships a manifest whose main and icon are in the package', () => {
    const have = new Set(files());
    assert.ok(have.has(path.posix.normalize(manifest.main)), `main ${manifest.main}`);
    assert.ok(manifest.icon && have.has(manifest.icon), `icon ${manifest.icon}`);
    assert.ok(manifest.activationEvents?.includes('onStartupFinished'), 'activation after startup (realtimeInspector.openOnStartup), never "*"');
    assert.ok(!manifest.activationEvents?.includes('*'));
  });

  it('installs into the VS Code of the tests (code-server --install-extension) and is listed', () => {
    assert.ok(fs.existsSync(CODE_SERVER), `code-server is not installed (${CODE_SERVER}): run \`bash scripts/install-code-server.sh\``);
    const dirs = { extensions: path.join(tmp, 'extensions'), userData: path.join(tmp, 'user-data'), xdg: path.join(tmp, 'xdg') };
    for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
    // Its own dirs and config; no marketplace (an empty gallery), no parent VS Code (VSCODE_IPC_HOOK_CLI).
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: dirs.xdg, XDG_DATA_HOME: dirs.xdg, XDG_CACHE_HOME: dirs.xdg, EXTENSIONS_GALLERY: '{}' };
    delete env.VSCODE_IPC_HOOK_CLI;
    const cs = (...args: string[]): string =>
      run(process.execPath, [CODE_SERVER, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData, '--config', path.join(dirs.xdg, 'config.yaml'), ...args], { cwd: tmp, env, timeout: 30_000 }).stdout;

    const installed = cs('--install-extension', vsix);
    assert.match(installed, /successfully installed/i, installed);
    const id = `${manifest.publisher}.${manifest.name}`;
    const listed = cs('--list-extensions', '--show-versions').split('\n').map((l) => l.trim());
    assert.ok(listed.includes(`${id}@${manifest.version}`), `${id}@${manifest.version} is not among the installed extensions: ${listed.join(', ')}`);

    const dir = path.join(dirs.extensions, `${id}-${manifest.version}`);
    for (const f of ['package.json', manifest.main, 'dist/webview/main.js', 'dist/webview/codicon.ttf']) assert.ok(fs.existsSync(path.join(dir, f)), `${f} installed in ${dir}`);
  });
});
