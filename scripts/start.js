#!/usr/bin/env node
/**
 * `npm start`: the real inspector panel in a real VS Code, on the embedded demo server.
 *
 * The workspace it opens, scripts/start-workspace, sets realtimeInspector.openOnStartup to
 * "demo": once VS Code has started, the extension starts the demo server and opens the
 * inspector on a WebSocket connection to it.
 *
 *   - `code` on the PATH: desktop VS Code opens a new window as an extension development host
 *     (`code --new-window --extensionDevelopmentPath=<repo> <start workspace>`).
 *   - otherwise (or with --code-server): the offline code-server of the test harness
 *     (installed by scripts/install-code-server.sh, a no-op once done) runs on 127.0.0.1 with
 *     the extension loaded, and this prints the URL to open in a browser. It keeps running
 *     until Ctrl-C, which stops code-server and everything it started.
 *
 * Run after a build (`npm start` does `node scripts/ensure-deps.js && node esbuild.js` first).
 * Usage: node scripts/start.js [--code-server] [--port N]
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const REPO = path.resolve(__dirname, '..');
const WORKSPACE = path.join(__dirname, 'start-workspace');
const HOST = '127.0.0.1';
const CODE_SERVER_ENTRY = path.join(REPO, '.vscode-test/code-server/out/node/entry.js');
const START_TIMEOUT_MS = 30_000;

const { CODE_SERVER_SETTINGS, CODE_SERVER_ENV_TO_DROP, codeServerArgs } = require('./code-server-common.cjs');

const say = (line) => process.stdout.write(`${line}\n`);
const fail = (line) => {
  process.stderr.write(`start: ${line}\n`);
  process.exit(1);
};

/** The executable `name` on the PATH, or undefined. */
function findOnPath(name) {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      try {
        if (fs.statSync(file).isFile()) {
          fs.accessSync(file, fs.constants.X_OK);
          return file;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

// ---- desktop VS Code ------------------------------------------------------------
function startDesktop(code) {
  const args = ['--new-window', `--extensionDevelopmentPath=${REPO}`, WORKSPACE];
  say(`Opening VS Code with the extension under development on ${path.relative(REPO, WORKSPACE)}:`);
  say(`  ${code} ${args.join(' ')}`);
  say('The Realtime Inspector opens on its own, connected to the demo server. If VS Code asks');
  say('whether you trust the folder, trust it: the extension does not run in Restricted Mode.');
  // `code.cmd` on Windows only runs through a shell; quote the paths for it.
  const win = process.platform === 'win32';
  const child = spawn(code, win ? args.map((a) => `"${a}"`) : args, { stdio: 'inherit', shell: win });
  child.on('error', (err) => fail(`could not run ${code}: ${err.message}`));
  // `code` hands the window to VS Code and returns at once.
  child.on('exit', (status, signal) => process.exit(status ?? (signal ? 1 : 0)));
}

// ---- code-server ----------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function startCodeServer(requestedPort) {
  // Idempotent: returns at once when code-server is installed; the first time it takes minutes.
  const install = spawnSync('bash', [path.join(__dirname, 'install-code-server.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (install.status !== 0) fail('installing code-server failed (see above); run `bash scripts/install-code-server.sh` to retry.');
  if (!fs.existsSync(CODE_SERVER_ENTRY)) fail(`${CODE_SERVER_ENTRY} is missing after the install; remove .vscode-test/code-server and retry.`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-start-'));
  const dirs = { userData: path.join(tmp, 'user-data'), extensions: path.join(tmp, 'extensions'), xdg: path.join(tmp, 'xdg'), tmp: path.join(tmp, 'tmp') };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'));
  fs.writeFileSync(path.join(dirs.userData, 'User/settings.json'), JSON.stringify(CODE_SERVER_SETTINGS, null, 2));
  const log = path.join(tmp, 'code-server.log');

  const port = requestedPort ?? (await freePort());
  const env = { ...process.env };
  for (const name of CODE_SERVER_ENV_TO_DROP) delete env[name];
  // XDG dirs and TMPDIR keep its config, sockets and logs in our temp dir; an empty gallery
  // keeps the workbench from querying a marketplace.
  Object.assign(env, { XDG_CONFIG_HOME: dirs.xdg, XDG_DATA_HOME: dirs.xdg, XDG_CACHE_HOME: dirs.xdg, TMPDIR: dirs.tmp, EXTENSIONS_GALLERY: '{}' });
  const out = fs.openSync(log, 'a');
  const server = spawn(
    process.execPath,
    [
      CODE_SERVER_ENTRY,
      ...codeServerArgs({ host: HOST, port, configFile: path.join(dirs.xdg, 'code-server.yaml'), userDataDir: dirs.userData, extensionsDir: dirs.extensions }),
    ],
    // Its own process group: one kill(-pid) also ends the extension host (and the demo server in it).
    { cwd: tmp, env, detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);

  let stopping = false;
  const killGroup = (signal) => {
    try {
      process.kill(-server.pid, signal);
    } catch {
      // already gone
    }
  };
  const groupAlive = () => {
    try {
      process.kill(-server.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    say('\nStopping code-server …');
    killGroup('SIGTERM');
    for (let i = 0; i < 50 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
    killGroup('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('exit', () => killGroup('SIGKILL')); // last resort; 'exit' handlers must be synchronous
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) process.on(signal, () => void stop(128 + number));
  server.on('exit', (status, signal) => {
    if (stopping) return;
    process.stderr.write(`start: code-server exited (code ${status}, signal ${signal}). Its log:\n${tail(log, 30)}\n`);
    void stop(1);
  });

  const baseUrl = `http://${HOST}:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (stopping) return;
    if (Date.now() > deadline) {
      process.stderr.write(`start: code-server did not answer on ${baseUrl} within ${START_TIMEOUT_MS / 1000} s. Its log:\n${tail(log, 30)}\n`);
      return stop(1);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  // The payload makes the browser workbench load the repo as the extension under development.
  const payload = [['extensionDevelopmentPath', `vscode-remote://${HOST}:${port}${REPO}`]];
  const url = `${baseUrl}/?folder=${encodeURIComponent(WORKSPACE)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  say('');
  say(`VS Code (code-server) is running on ${baseUrl} with the extension under development.`);
  say('Open this URL in a browser on this machine; the Realtime Inspector opens on its own,');
  say('connected to the demo server:');
  say('');
  say(`  ${url}`);
  say('');
  say('It listens on 127.0.0.1 only, without a password. Ctrl-C stops it.');
}

async function main() {
  const { values } = parseArgs({
    options: {
      'code-server': { type: 'boolean', default: false },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    say('usage: node scripts/start.js [--code-server] [--port N]');
    say('  Opens the inspector on the demo server in desktop VS Code (`code` on the PATH),');
    say('  else in code-server on 127.0.0.1 (--code-server: always), printing its URL.');
    return;
  }
  let port;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port expects a TCP port (1-65535), not "${values.port}".`);
  }
  if (!fs.existsSync(path.join(REPO, 'dist/extension.js'))) fail('dist/extension.js is missing: build first (`node esbuild.js`, which `npm start` runs).');
  const code = values['code-server'] ? undefined : findOnPath('code');
  if (code) startDesktop(code);
  else await startCodeServer(port);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
