#!/usr/bin/env node
/**
 * Runs the extension-host test suite inside a real VS Code, offline.
 *
 * VS Code itself cannot be downloaded on our machines, so the suite runs in
 * code-server (VS Code 1.96 for the browser, installed by
 * scripts/install-code-server.sh) driven by headless Chromium through
 * playwright-core:
 *
 *   1. start code-server on 127.0.0.1 (free port, throwaway user data,
 *      extensions and config dirs);
 *   2. open the workbench with a `payload` that sets extensionDevelopmentPath
 *      (the extension under test) and extensionTestsPath (the compiled mocha
 *      loader, out/test/vscode/suite/index.js);
 *   3. the remote extension host loads the extension, awaits the loader's
 *      run(), and the workbench reports the exit code through
 *      `window.codeAutomationExit(code)`, which we expose to the page.
 *
 * Usage:
 *   node scripts/build-vscode-tests.js        # compile the suite first
 *   node test/vscode/run.mjs [--screenshot PATH] [--keep-open] [--verbose]
 *        [--extension-path DIR] [--tests-path FILE] [--folder DIR] [--timeout SECONDS]
 *
 *   --screenshot PATH   save a PNG of the workbench once the tests have ended
 *   --keep-open         leave code-server running after the tests (Ctrl-C ends it)
 *                       and print a URL that opens the workbench with the extension
 *   --verbose           also print code-server's log and the browser console
 *   --extension-path    extension under test (default: the repo root)
 *   --tests-path        compiled suite loader (default: out/test/vscode/suite/index.js)
 *   --folder            workspace folder to open (default: a fresh empty temp dir)
 *   --timeout SECONDS   how long to wait for the tests to end (default 120)
 *
 * Exits with the extension host's exit code (0 when every test passed).
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 *
 * Other scripts can reuse the machinery through runInCodeServer() (see below).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, parseArgs } from 'node:util';
import common from '../../scripts/code-server-common.cjs';

const { CODE_SERVER_SETTINGS, CODE_SERVER_ENV_TO_DROP, codeServerArgs } = common;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_TESTS_PATH = path.join(REPO_ROOT, 'out/test/vscode/suite/index.js');

const CODE_SERVER_VERSION = '4.96.4';
const CODE_SERVER_DIR = path.join(REPO_ROOT, '.vscode-test/code-server');
const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'out/node/entry.js');
const CODE_SERVER_STAMP = path.join(CODE_SERVER_DIR, `.install-complete-${CODE_SERVER_VERSION}`);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Env var through which test/vscode/suite/index.ts copies mocha's output to a file. */
const TEST_LOG_ENV = 'RI_EXTENSION_TEST_LOG';

/** User settings of the throwaway profile (shared with `npm start`). */
const DEFAULT_SETTINGS = CODE_SERVER_SETTINGS;

const HOST = '127.0.0.1';
const DEFAULT_TIMEOUT_MS = 120_000;
const SERVER_START_TIMEOUT_MS = 30_000;

const CHROMIUM_ARGS = [
  '--no-sandbox', // we run as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Nothing but the local code-server may be reached: any other host name
  // fails to resolve instead of leaving the machine.
  `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${HOST}`,
];

const require = createRequire(import.meta.url);

function loadPlaywright() {
  try {
    return require('playwright-core');
  } catch (err) {
    throw new Error(
      'playwright-core is not installed (it is a devDependency of this repo): run `npm ci` first.\n' +
        `  (${err.message.split('\n')[0]})`,
    );
  }
}

/** Resolve a free TCP port on 127.0.0.1 by binding port 0 and closing it again. */
function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection with `message` after `ms` (Infinity: no limit). */
function withTimeout(promise, ms, message) {
  if (ms === Infinity) return promise;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Last `count` lines of a text file ('' if it does not exist). */
function tailOfFile(file, count) {
  if (!fs.existsSync(file)) return '';
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}


/**
 * Formats a browser console message the way the workbench meant it: the
 * workbench logs `console.log('%c INFO', 'color: …', message, ...args)`.
 */
async function formatConsoleMessage(msg) {
  let args;
  try {
    args = await Promise.all(msg.args().map((arg) => arg.jsonValue()));
  } catch {
    return `[${msg.type()}] ${msg.text()}`;
  }
  if (args.length === 0) return `[${msg.type()}] ${msg.text()}`;
  if (typeof args[0] === 'string' && args[0].startsWith('%c')) {
    const level = args[0].slice(2).trim();
    return `[${level}] ${format(...args.slice(2))}`;
  }
  return `[${msg.type()}] ${format(...args)}`;
}

/**
 * Starts code-server and a headless Chromium on the workbench, with the
 * extension at `extensionPath` in development mode, and (unless `testsPath` is
 * null) runs the extension tests at `testsPath`.
 *
 * @param {object} [options]
 * @param {string|null} [options.testsPath] compiled mocha loader (exports run());
 *   default out/test/vscode/suite/index.js. null: open the workbench without
 *   tests, for `onPage` to drive (e.g. screenshots); then `onPage` is required.
 * @param {string} [options.extensionPath] extension under development (default: repo root)
 * @param {string} [options.folder] workspace folder to open (default: a fresh empty temp dir)
 * @param {(page: import('playwright-core').Page, baseUrl: string,
 *   ctx: { testsDone: Promise<number>, workbenchUrl: string }) => Promise<void>} [options.onPage]
 *   called once the workbench has rendered, while the tests run; awaited before
 *   the run ends. `ctx.testsDone` resolves with the exit code when the tests end.
 * @param {number} [options.timeoutMs] how long to wait for the tests to end (default 120 s)
 * @param {number} [options.onPageTimeoutMs] how long onPage may take (default: timeoutMs; Infinity: no limit)
 * @param {Record<string,string>} [options.env] extra environment for code-server and the extension host
 * @param {Record<string,unknown>} [options.settings] user settings, merged over DEFAULT_SETTINGS
 * @param {boolean} [options.verbose] print code-server's log and the browser console as they come
 * @param {(text: string) => void} [options.writeOutput] receives the test output (default: stdout)
 * @returns {Promise<{ exitCode: number|null, logsDir: string|null }>} exitCode is
 *   null when no tests ran; logsDir is the kept temp dir when the run failed.
 */
export async function runInCodeServer({
  testsPath = DEFAULT_TESTS_PATH,
  extensionPath = REPO_ROOT,
  folder,
  onPage,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  onPageTimeoutMs = timeoutMs,
  env = {},
  settings = {},
  verbose = false,
  writeOutput = (text) => process.stdout.write(text),
} = {}) {
  // ---- preconditions, with the fix for each --------------------------------
  if (!fs.existsSync(CODE_SERVER_STAMP) || !fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} is not installed in ${CODE_SERVER_DIR}: run \`bash scripts/install-code-server.sh\``,
    );
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run \`bash scripts/install-code-server.sh\` (or set CHROMIUM_PATH)`);
  }
  extensionPath = path.resolve(extensionPath);
  const manifestPath = path.join(extensionPath, 'package.json');
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`no extension at ${extensionPath} (package.json missing)`);
  }
  const { main: extensionMain } = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  if (extensionMain && !fs.existsSync(path.resolve(extensionPath, extensionMain))) {
    throw new Error(`${path.resolve(extensionPath, extensionMain)} (package.json "main") does not exist: build the extension first (npm run build)`);
  }
  if (testsPath === null) {
    if (!onPage) throw new Error('runInCodeServer: testsPath null (no tests) needs an onPage callback');
  } else {
    testsPath = path.resolve(testsPath);
    if (!fs.existsSync(testsPath)) {
      throw new Error(`${testsPath} does not exist: run \`node scripts/build-vscode-tests.js\` first`);
    }
  }
  const { chromium } = loadPlaywright();

  // ---- throwaway state ------------------------------------------------------
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-vscode-test-'));
  const dirs = {
    userData: path.join(tmp, 'user-data'),
    extensions: path.join(tmp, 'extensions'),
    xdgConfig: path.join(tmp, 'xdg-config'),
    xdgData: path.join(tmp, 'xdg-data'),
    xdgCache: path.join(tmp, 'xdg-cache'),
    tmp: path.join(tmp, 'tmp'),
    browserProfile: path.join(tmp, 'chromium-profile'),
    workspace: path.join(tmp, 'workspace'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'));
  fs.writeFileSync(
    path.join(dirs.userData, 'User/settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2),
  );
  const serverLog = path.join(tmp, 'code-server.log');
  const consoleLog = path.join(tmp, 'browser-console.log');
  const testLog = path.join(tmp, 'test-output.log');
  fs.writeFileSync(testLog, '');
  folder = path.resolve(folder ?? dirs.workspace);

  let server = null; // code-server's ChildProcess (leader of its own process group)
  let context = null; // playwright BrowserContext
  let keepLogs = false;

  /**
   * Signal code-server's whole process group (server, extension host, file
   * watcher, pty host, …), even after the group leader itself has exited.
   */
  const signalServerGroup = (signal) => {
    if (!server?.pid) return;
    try {
      process.kill(-server.pid, signal);
    } catch {
      // the group is gone
    }
  };
  // Last resort for paths that skip `finally` (process.exit elsewhere, fatal
  // errors): 'exit' handlers must be synchronous, so SIGKILL right away.
  const onProcessExit = () => signalServerGroup('SIGKILL');
  // Ctrl-C / kill: clean up, then exit the way the signal would have. Playwright's
  // own signal handlers are switched off below so that this one decides;
  // process.exit() then runs playwright's 'exit' hook, which kills Chromium.
  const onSignal = (signal) => {
    process.stderr.write(`\n[run] ${signal}: stopping code-server and Chromium\n`);
    signalServerGroup('SIGKILL');
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      // Chromium may still be writing its profile; a leftover temp dir is harmless
    }
    process.exit(128 + os.constants.signals[signal]);
  };
  process.on('exit', onProcessExit);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);

  // Streams new test output from `testLog` (written by the extension host).
  let testLogOffset = 0;
  const flushTestLog = () => {
    let fd;
    try {
      fd = fs.openSync(testLog, 'r');
      const size = fs.fstatSync(fd).size;
      if (size > testLogOffset) {
        const buffer = Buffer.alloc(size - testLogOffset);
        fs.readSync(fd, buffer, 0, buffer.length, testLogOffset);
        testLogOffset = size;
        writeOutput(buffer.toString('utf8'));
      }
    } catch {
      // not written yet
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  };
  const testLogTimer = setInterval(flushTestLog, 200);

  try {
    // ---- 1. code-server -----------------------------------------------------
    const port = await findFreePort();
    const baseUrl = `http://${HOST}:${port}`;
    const serverEnv = { ...process.env };
    for (const name of CODE_SERVER_ENV_TO_DROP) delete serverEnv[name];
    Object.assign(serverEnv, {
      XDG_CONFIG_HOME: dirs.xdgConfig,
      XDG_DATA_HOME: dirs.xdgData,
      XDG_CACHE_HOME: dirs.xdgCache,
      // The extension host leaves IPC sockets (vscode-ipc-*.sock, git's) in
      // the temp dir; keep them in ours, which is removed afterwards.
      TMPDIR: dirs.tmp,
      // An empty gallery config turns the extension marketplace off (the
      // default points at open-vsx.org, which the workbench would query).
      EXTENSIONS_GALLERY: '{}',
      [TEST_LOG_ENV]: testLog,
      ...env,
    });
    const serverArgs = [
      CODE_SERVER_ENTRY,
      ...codeServerArgs({ host: HOST, port, configFile: path.join(dirs.xdgConfig, 'code-server.yaml'), userDataDir: dirs.userData, extensionsDir: dirs.extensions }),
    ];
    const serverOut = fs.openSync(serverLog, 'a');
    server = spawn(process.execPath, serverArgs, {
      cwd: tmp,
      env: serverEnv,
      // Own process group, so that one kill(-pid) also ends the extension host
      // and the other helpers code-server forks.
      detached: true,
      stdio: ['ignore', serverOut, serverOut],
    });
    fs.closeSync(serverOut);
    const serverExited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
    if (verbose) process.stderr.write(`[run] code-server pid ${server.pid} on ${baseUrl}, logs in ${tmp}\n`);

    const startDeadline = Date.now() + SERVER_START_TIMEOUT_MS;
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw new Error(`code-server exited during start-up (code ${server.exitCode}, signal ${server.signalCode})`);
      }
      try {
        const res = await fetch(`${baseUrl}/healthz`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > startDeadline) throw new Error(`code-server did not answer on ${baseUrl} within ${SERVER_START_TIMEOUT_MS / 1000} s`);
      await sleep(100);
    }

    // ---- 2. Chromium on the workbench -----------------------------------------
    context = await chromium.launchPersistentContext(dirs.browserProfile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
      env: { ...process.env, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_CACHE_HOME: dirs.xdgCache },
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const page = context.pages()[0] ?? (await context.newPage());

    // The browser console: the workbench's log, and the extension host's
    // console output (forwarded by VS Code). Small, so written synchronously.
    const logConsole = (line) => {
      fs.appendFileSync(consoleLog, line + '\n');
      if (verbose) process.stderr.write(`[browser] ${line}\n`);
    };
    page.on('console', (msg) => {
      formatConsoleMessage(msg).then(logConsole, () => {});
    });
    page.on('pageerror', (err) => logConsole(`[pageerror] ${err.stack || err}`));

    // The workbench calls window.codeAutomationExit(code, logs) when the
    // extension host ends after running the tests (VS Code's hook for CI).
    let resolveExit;
    const testsDone = new Promise((resolve) => (resolveExit = resolve));
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      // `logs`: the workbench's own log files (kept in the browser's IndexedDB).
      for (const { relativePath, contents } of logs ?? []) {
        const file = path.join(tmp, 'workbench-logs', relativePath);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, contents);
      }
      resolveExit(code);
    });

    const remote = (p) => `vscode-remote://${HOST}:${port}${p}`;
    const payload = [['extensionDevelopmentPath', remote(extensionPath)]];
    if (testsPath !== null) payload.push(['extensionTestsPath', remote(testsPath)]);
    const workbenchUrl = `${baseUrl}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(workbenchUrl);

    // ---- 3. wait for the tests (and the caller's onPage) ----------------------
    const work = [];
    if (testsPath !== null) {
      work.push(
        withTimeout(testsDone, timeoutMs, `the workbench never reported the end of the tests (codeAutomationExit) within ${timeoutMs / 1000} s`),
      );
    }
    if (onPage) {
      const driven = page
        .waitForSelector('.monaco-workbench', { timeout: onPageTimeoutMs === Infinity ? 0 : onPageTimeoutMs })
        .then(() => onPage(page, baseUrl, { testsDone, workbenchUrl }));
      work.push(withTimeout(driven, onPageTimeoutMs, `onPage did not finish within ${onPageTimeoutMs / 1000} s`));
    }
    const serverDied = serverExited.then(({ code, signal }) => {
      throw new Error(`code-server exited unexpectedly (code ${code}, signal ${signal})`);
    });
    await Promise.race([Promise.all(work), serverDied]);
    flushTestLog();

    const exitCode = testsPath === null ? null : await testsDone;
    keepLogs = exitCode !== null && exitCode !== 0;
    return { exitCode, logsDir: keepLogs ? tmp : null };
  } catch (err) {
    keepLogs = true;
    throw err;
  } finally {
    clearInterval(testLogTimer);
    flushTestLog();
    if (keepLogs) {
      // Enough context to debug a failure on CI, where the temp dir is out of reach.
      process.stderr.write(
        `\n[run] --- code-server log (tail) ---\n${tailOfFile(serverLog, 40)}\n` +
          `[run] --- browser console (tail) ---\n${tailOfFile(consoleLog, 60)}\n` +
          `[run] all logs kept in ${tmp}\n`,
      );
    }
    if (context) await context.close().catch(() => {});
    if (server) {
      // Give code-server a moment to stop its children cleanly, then make sure.
      signalServerGroup('SIGTERM');
      for (let i = 0; i < 30 && isAlive(-server.pid); i++) await sleep(100);
      signalServerGroup('SIGKILL');
    }
    process.off('exit', onProcessExit);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(signal, onSignal);
    if (!keepLogs) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- command line -------------------------------------------------------------
async function main() {
  const { values } = parseArgs({
    options: {
      screenshot: { type: 'string' },
      'keep-open': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'extension-path': { type: 'string' },
      'tests-path': { type: 'string' },
      folder: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: node test/vscode/run.mjs [--screenshot PATH] [--keep-open] [--verbose]\n' +
        '         [--extension-path DIR] [--tests-path FILE] [--folder DIR] [--timeout SECONDS]\n',
    );
    return 0;
  }

  const timeoutMs = values.timeout ? Number(values.timeout) * 1000 : DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new Error(`--timeout expects a number of seconds, not ${values.timeout}`);
  const screenshot = values.screenshot && path.resolve(values.screenshot);
  const keepOpen = values['keep-open'];
  let onPage;
  if (screenshot || keepOpen) {
    onPage = async (page, baseUrl, { testsDone }) => {
      const code = await testsDone;
      if (screenshot) {
        // Let the status bar and views settle after the extension host stopped.
        await page.waitForTimeout(500);
        await page.screenshot({ path: screenshot });
        process.stderr.write(`[run] screenshot saved to ${screenshot}\n`);
      }
      if (keepOpen) {
        const extensionPath = path.resolve(values['extension-path'] ?? REPO_ROOT);
        const url = new URL(baseUrl);
        const payload = [['extensionDevelopmentPath', `vscode-remote://${url.host}${extensionPath}`]];
        process.stderr.write(
          `[run] tests ended with exit code ${code}; code-server stays up until Ctrl-C.\n` +
            `[run] workbench with the extension loaded:\n` +
            `      ${baseUrl}/?folder=${encodeURIComponent(REPO_ROOT)}&payload=${encodeURIComponent(JSON.stringify(payload))}\n`,
        );
        await new Promise(() => {}); // until a signal ends the process
      }
    };
  }

  const started = Date.now();
  const { exitCode } = await runInCodeServer({
    testsPath: values['tests-path'] ?? DEFAULT_TESTS_PATH,
    extensionPath: values['extension-path'] ?? REPO_ROOT,
    folder: values.folder,
    onPage,
    timeoutMs,
    // --keep-open waits for Ctrl-C, not for a deadline.
    onPageTimeoutMs: keepOpen ? Infinity : timeoutMs,
    verbose: values.verbose,
  });
  process.stderr.write(`[run] extension host exited with code ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return exitCode;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code ?? 1),
    (err) => {
      process.stderr.write(`[run] error: ${err.message || err}\n`);
      process.exit(1);
    },
  );
}
