/**
 * End to end in a real VS Code (code-server 1.96 in headless Chromium), driven like a person:
 *
 *   1. the command palette runs "Realtime Inspector: Connect to Demo Server…", the quick pick
 *      chooses WebSocket, and live frames appear in the inspector webview; a screenshot is saved
 *      to test-results/e2e-panel.png;
 *   2. `npm start` without `code` on the PATH (scripts/start.js --code-server) prints a loopback
 *      URL; opening it shows the inspector already connected to the demo server; Ctrl-C stops
 *      code-server;
 *   3. `npm start` with `code` on the PATH runs it with the extension development command line
 *      (a fake `code` records its arguments).
 *
 * Needs code-server and Chromium (bash scripts/install-code-server.sh) and a build (node esbuild.js).
 * Run: node --test test/vscode/e2e.mjs
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT, runInCodeServer } from './run.mjs';
import { inspectorFrame, launchChromium, pickQuickItem, runFromPalette, waitForExtension, waitForIncomingMessages, waitForText } from './workbench.mjs';

const SCREENSHOT = path.join(REPO_ROOT, 'test-results/e2e-panel.png');
const START_SCRIPT = path.join(REPO_ROOT, 'scripts/start.js');
const START_WORKSPACE = path.join(REPO_ROOT, 'scripts/start-workspace');
/** A demo tick as the demo server sends it: {"seq":N,"ts":…,"kind":"tick",…}. */
const TICK = '^\\{"seq":\\d+,"ts":\\d+,"kind":"tick"';

/** Ends a child that is still running: SIGTERM, then SIGKILL if it has not exited after 10 s. */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

describe('the inspector in a real VS Code', () => {
  it('the palette command connects to the demo server over WebSocket and frames appear in the panel', { timeout: 90_000 }, async () => {
    let seen;
    await runInCodeServer({
      testsPath: null,
      timeoutMs: 80_000,
      onPage: async (page) => {
        await waitForExtension(page);
        await runFromPalette(page, 'Realtime Inspector: Connect to Demo Server');
        const picked = await pickQuickItem(page, { title: 'Connect to the demo server', label: 'WebSocket' });
        assert.match(picked, /^WebSocket, Ticks pushed over one socket/);

        const frame = await inspectorFrame(page);
        const badge = await waitForText(frame, '#state-badge', /open · WebSocket/);
        const ticks = await waitForIncomingMessages(frame, { count: 3, pattern: TICK });
        // The handshake is in the same log as the frames.
        const types = await frame.$$eval('#log .row:not([hidden]) .t-type', (els) => els.map((e) => e.textContent));
        // One session: the palette's. (openOnStartup is "none" here, so activation opened nothing.)
        const sessions = await frame.$$eval('#sessions .session-tab', (els) => els.map((e) => e.textContent));
        fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });
        seen = { badge, ticks, types, sessions, tab: await page.locator('.tabs-container .tab.active').getAttribute('aria-label') };
      },
    });
    assert.ok(seen, 'the workbench was driven');
    assert.match(seen.tab, /^Realtime Inspector/, 'the inspector is the active editor tab');
    assert.deepEqual(seen.sessions, ['Demo: WebSocket WebSocket'], 'exactly the session the palette opened');
    assert.ok(seen.ticks.length >= 3, `ticks in the log: ${JSON.stringify(seen.ticks)}`);
    assert.ok(seen.types.includes('request') && seen.types.includes('response'), `handshake rows: ${seen.types.join(', ')}`);
    assert.ok(fs.statSync(SCREENSHOT).size > 10_000, `${SCREENSHOT} was written`);
  });

  describe('npm start (scripts/start.js)', () => {
    const children = [];
    const browsers = [];
    const temps = [];
    after(async () => {
      for (const b of browsers) await b.close().catch(() => {});
      // SIGTERM first: start.js then stops code-server's process group, which SIGKILL would orphan.
      for (const c of children) await stopChild(c);
      for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
    });

    it('without `code`: code-server prints a loopback URL that opens the inspector connected to the demo server; Ctrl-C stops it', { timeout: 90_000 }, async () => {
      const child = spawn(process.execPath, [START_SCRIPT, '--code-server'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

      const url = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed within 45 s:\n${output}`)), 45_000);
        const look = () => {
          const m = /(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        };
        child.stdout.on('data', look);
        exited.then(({ code }) => reject(new Error(`start.js exited (${code}) before printing a URL:\n${output}`)));
      });
      const parsed = new URL(url);
      assert.equal(parsed.searchParams.get('folder'), START_WORKSPACE);
      assert.deepEqual(JSON.parse(parsed.searchParams.get('payload')), [['extensionDevelopmentPath', `vscode-remote://${parsed.host}${REPO_ROOT}`]]);

      const browser = await launchChromium();
      browsers.push(browser);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(url);
      // Nothing is clicked or typed: the workspace setting opens the inspector on the demo server.
      const frame = await inspectorFrame(page, { timeout: 45_000 });
      await waitForText(frame, '#state-badge', /open · WebSocket/);
      await waitForIncomingMessages(frame, { count: 2, pattern: TICK });
      assert.equal(await frame.locator('#sessions .session-tab').count(), 1, 'one session, opened on startup');
      await browser.close();

      child.kill('SIGINT');
      const { code } = await exited;
      assert.equal(code, 130, `start.js exits like an interrupted process:\n${output}`);
      await assert.rejects(fetch(`${parsed.origin}/healthz`), 'code-server no longer listens');
    });

    it('with `code` on the PATH: runs it as an extension development host on the start workspace', { timeout: 20_000 }, async () => {
      const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-fake-code-'));
      temps.push(bin);
      const record = path.join(bin, 'args.json');
      fs.writeFileSync(
        path.join(bin, 'code'),
        `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`,
        { mode: 0o755 },
      );
      const child = spawn(process.execPath, [START_SCRIPT], { cwd: REPO_ROOT, env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const [code] = await new Promise((resolve) => child.once('exit', (...a) => resolve(a)));
      assert.equal(code, 0, output);
      assert.deepEqual(JSON.parse(fs.readFileSync(record, 'utf8')), ['--new-window', `--extensionDevelopmentPath=${REPO_ROOT}`, START_WORKSPACE]);
      const settings = fs.readFileSync(path.join(START_WORKSPACE, '.vscode/settings.json'), 'utf8');
      assert.match(settings, /"realtimeInspector\.openOnStartup":\s*"demo"/, 'the start workspace asks for the demo');
    });
  });
});
