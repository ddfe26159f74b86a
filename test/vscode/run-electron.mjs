#!/usr/bin/env node
/**
 * Runs the extension-host test suite in desktop VS Code (Electron) through
 * @vscode/test-electron, for machines that can download VS Code. Our own
 * machines cannot: there, use test/vscode/run.mjs (code-server + Chromium).
 *
 * Usage:
 *   node scripts/build-vscode-tests.js
 *   node test/vscode/run-electron.mjs [--vscode-version 1.96.4|stable|insiders]
 *
 * On a Linux machine without a display, wrap it: `xvfb-run -a node test/vscode/run-electron.mjs`.
 * VS Code is downloaded into <repo>/.vscode-test/ (git-ignored) and reused.
 * Mocha's output is printed by VS Code's extension host on this process's
 * terminal. Exits with the extension host's exit code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TESTS_PATH = path.join(REPO_ROOT, 'out/test/vscode/suite/index.js');
// The oldest VS Code the extension supports (engines.vscode ^1.96.0), and the
// one code-server 4.96.4 ships, so both launchers test the same version.
const DEFAULT_VSCODE_VERSION = '1.96.4';

async function main() {
  const { values } = parseArgs({
    options: {
      'vscode-version': { type: 'string', default: process.env.VSCODE_TEST_VERSION || DEFAULT_VSCODE_VERSION },
    },
  });
  if (!fs.existsSync(TESTS_PATH)) {
    throw new Error(`${TESTS_PATH} does not exist: run \`node scripts/build-vscode-tests.js\` first`);
  }

  // Fresh profile and workspace for every run; short paths (VS Code's IPC
  // socket lives in the user data dir and Unix socket paths are limited).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-vscode-electron-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  try {
    return await runTests({
      version: values['vscode-version'],
      cachePath: path.join(REPO_ROOT, '.vscode-test'),
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: TESTS_PATH,
      launchArgs: [
        workspace,
        `--user-data-dir=${path.join(tmp, 'user-data')}`,
        `--extensions-dir=${path.join(tmp, 'extensions')}`,
        '--disable-extensions', // other installed extensions; not the one under development
        '--disable-workspace-trust',
        '--disable-telemetry',
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-gpu',
        '--no-sandbox', // CI containers often run as root
      ],
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // runTests rejects with TestRunFailedError (carrying the exit code) when the tests fail.
    process.stderr.write(`[run-electron] ${err.message || err}\n`);
    process.exit(typeof err.code === 'number' && err.code !== 0 ? err.code : 1);
  },
);
