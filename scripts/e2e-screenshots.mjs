#!/usr/bin/env node
/**
 * README screenshots of the real inspector panel inside VS Code (code-server 1.96 in headless
 * Chromium, 1400x900): docs/images/panel-dark.png (theme Dark Modern) and
 * docs/images/panel-light.png (Light Modern).
 *
 * Each run drives the workbench the way a person would: the palette opens the inspector, the
 * panel's own form connects to the demo server's WebSocket with the token in the query string
 * (so the log shows redaction and the hints have something to say), the composer sends a JSON
 * message, and the server's echo is selected to show its JSON detail.
 *
 * Needs a build (node esbuild.js) and code-server + Chromium (bash scripts/install-code-server.sh).
 * Usage: node scripts/e2e-screenshots.mjs [--out DIR] [--theme dark|light]...
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, runInCodeServer } from '../test/vscode/run.mjs';
import { inspectorFrame, pickQuickItem, runFromPalette, waitForExtension, waitForIncomingMessages, waitForText } from '../test/vscode/workbench.mjs';

/**
 * Theme labels in "Preferences: Color Theme" and the class the workbench then carries. The
 * theme is picked there, as a person would: a workbench.colorTheme in the settings.json the
 * harness writes does not take effect in code-server 4.96 (its other settings do).
 */
const THEMES = {
  dark: { label: 'Dark Modern', workbenchClass: 'vscode-theme-defaults-themes-dark_modern-json' },
  light: { label: 'Light Modern', workbenchClass: 'vscode-theme-defaults-themes-light_modern-json' },
};
/** The demo server's long-lived token (README); the panel shows it redacted. */
const DEMO_TOKEN = 'demo-token-3f9a7c2e1b5d4a60';
const MESSAGE = '{"subscribe":"prices","depth":5}';
/** Screenshots must stay small enough to commit. */
const MAX_BYTES = 400 * 1024;

/** Types into a <vscode-textfield> (its <input> is in an open shadow root, which locators pierce). */
async function fillTextfield(frame, id, value) {
  await frame.locator(`#${id} input`).fill(value);
  await frame.waitForFunction(([i, v]) => document.getElementById(i)?.value === v, [id, value]);
}

async function drive(page, file, theme) {
  await waitForExtension(page);
  await runFromPalette(page, 'Preferences: Color Theme');
  await pickQuickItem(page, { label: theme.label });
  await page.waitForSelector(`.monaco-workbench.${theme.workbenchClass}`);
  // Room for the panel: no side bar, no notifications over it.
  await runFromPalette(page, 'View: Close Primary Side Bar');
  await runFromPalette(page, 'Realtime Inspector: Open Inspector');
  const frame = await inspectorFrame(page);

  // The form's demo link starts the demo server and fills in its WebSocket URL.
  await frame.click('#demo-ws');
  const plainUrl = await frame.waitForFunction(() => {
    const v = document.getElementById('url')?.value ?? '';
    return /^ws:\/\/127\.0\.0\.1:\d+\/ws$/.test(v) ? v : false;
  });
  await fillTextfield(frame, 'url', (await plainUrl.jsonValue()).replace(/\/ws$/, '/auth/query/ws'));

  // Request setup → Authentication: the token in the access_token query parameter.
  await frame.click('#setup .collapsible-header');
  await frame.selectOption('#auth-method', 'query');
  await fillTextfield(frame, 'auth-param', 'access_token');
  await fillTextfield(frame, 'auth-token', DEMO_TOKEN);
  await frame.click('#setup .collapsible-header');
  await frame.locator('#auth-method').waitFor({ state: 'hidden' });

  await frame.click('#connect');
  await waitForText(frame, '#state-badge', /open · WebSocket/);
  await waitForIncomingMessages(frame, { count: 4, pattern: '"kind":"tick"' });

  await frame.selectOption('#composer-format', 'json');
  await frame.fill('#composer-input', MESSAGE);
  await frame.click('#composer-send');
  await waitForIncomingMessages(frame, { count: 1, pattern: '"kind":"echo"' });
  // A few rows after the echo, so it sits inside the log rather than on its last line.
  await frame.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#log .row:not([hidden])')];
    const echo = rows.find((r) => r.textContent.includes('"kind":"echo"'));
    return echo && rows.some((r) => Number(r.dataset.seq) >= Number(echo.dataset.seq) + 3);
  });

  // Select the echo; the detail pane shows it as a JSON tree.
  await frame.locator('#log .row:not([hidden])', { hasText: '"kind":"echo"' }).first().click();
  await frame.click('#detail-tab-json');
  await waitForText(frame, '#detail-body', /echo/);
  await frame.waitForSelector('#hints-list .hint');
  // The log must never show the token itself.
  const shown = await frame.evaluate(() => document.body.innerText);
  if (shown.includes(DEMO_TOKEN)) throw new Error('the panel shows the demo token unredacted');

  await runFromPalette(page, 'Notifications: Clear All Notifications');
  await page.waitForSelector('.quick-input-widget .quick-input-box input', { state: 'hidden' });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
}

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: path.join(REPO_ROOT, 'docs/images') },
      theme: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: node scripts/e2e-screenshots.mjs [--out DIR] [--theme dark|light]...\n');
    return;
  }
  const themes = values.theme ?? Object.keys(THEMES);
  for (const t of themes) if (!(t in THEMES)) throw new Error(`--theme expects dark or light, not "${t}"`);
  for (const theme of themes) {
    const file = path.resolve(values.out, `panel-${theme}.png`);
    const started = Date.now();
    await runInCodeServer({
      testsPath: null,
      timeoutMs: 120_000,
      onPage: (page) => drive(page, file, THEMES[theme]),
    });
    const size = fs.statSync(file).size;
    process.stdout.write(`${path.relative(REPO_ROOT, file)}: ${(size / 1024).toFixed(0)} KB, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (size > MAX_BYTES) throw new Error(`${file} is ${(size / 1024).toFixed(0)} KB, over the ${MAX_BYTES / 1024} KB budget`);
  }
}

main().catch((err) => {
  process.stderr.write(`e2e-screenshots: ${err.stack || err}\n`);
  process.exit(1);
});
