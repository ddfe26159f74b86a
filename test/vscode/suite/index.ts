/**
 * Mocha entry point for the extension-host tests.
 *
 * VS Code (desktop via @vscode/test-electron, or code-server via
 * test/vscode/run.mjs) loads the compiled file
 * `out/test/vscode/suite/index.js` inside the extension host and awaits
 * `run()`: a resolved promise ends the run with exit code 0, a rejected one
 * with a non-zero code.
 *
 * Every `*.test.js` file next to the compiled loader is a test file; they use
 * mocha's TDD interface (`suite`, `test`, `suiteSetup`, ...).
 *
 * Reporter output goes through `console.log`, which the extension host
 * forwards to the workbench (the terminal, with @vscode/test-electron). In a
 * browser workbench (code-server) that output ends up mixed with the
 * workbench's own logs in the browser console, so when the launcher sets
 * RI_EXTENSION_TEST_LOG to a file path, the reporter's lines are also appended
 * to that file, which test/vscode/run.mjs streams to its stdout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/** Env var naming the file the reporter output is copied to (set by run.mjs). */
const TEST_LOG_ENV = 'RI_EXTENSION_TEST_LOG';

/** Tee mocha's reporter output (all of it goes through `Base.consoleLog`) into `file`. */
function teeReporterOutput(file: string): void {
  const base = Mocha.reporters.Base;
  const original = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => {
    // Synchronous, so nothing is lost when the host exits right after the run.
    fs.appendFileSync(file, format(...args) + '\n');
    original(...args);
  };
}

export function run(): Promise<void> {
  const testLog = process.env[TEST_LOG_ENV];
  if (testLog) {
    teeReporterOutput(testLog);
  }

  const mocha = new Mocha({
    ui: 'tdd',
    reporter: 'spec',
    // The extension host's stdout is not a terminal: keep escape codes out of logs.
    color: false,
    timeout: 20_000,
    // MOCHA_GREP narrows a run to matching tests, e.g. MOCHA_GREP=smoke.
    ...(process.env.MOCHA_GREP ? { grep: process.env.MOCHA_GREP } : {}),
  });

  const testsRoot = __dirname;
  const files = fs
    .readdirSync(testsRoot)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const name of files) {
    mocha.addFile(path.join(testsRoot, name));
  }

  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        // A plain closing line that CI reads to count the tests that ran.
        const { passes = 0, pending = 0 } = runner.stats ?? {};
        Mocha.reporters.Base.consoleLog(
          'extension-host: %d passed, %d failed, %d skipped',
          passes,
          failures,
          pending,
        );
        if (failures > 0) {
          reject(new Error(`${failures} test${failures === 1 ? '' : 's'} failed.`));
        } else {
          resolve();
        }
      });
    } catch (err) {
      reject(err);
    }
  });
}
