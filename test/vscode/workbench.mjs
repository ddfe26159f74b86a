/**
 * Driving the real VS Code workbench (code-server in headless Chromium) the way a person does:
 * the command palette and quick picks by keyboard, and the inspector webview, which lives two
 * iframes deep (the workbench's webview host frame, then the frame holding our document).
 *
 * Used by test/vscode/e2e.mjs and scripts/e2e-screenshots.mjs. Every wait is on the DOM, with a
 * deadline; nothing sleeps for a fixed time.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const EXTENSION_TITLE = 'Realtime Inspector';
const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;
const FOCUSED_ROW = `${QUICK_INPUT} .quick-input-list .monaco-list-row.focused`;

/**
 * Resolves once the workbench knows the extension's contributions: its activity bar entry is
 * there. Before that the palette answers "No matching commands" for our titles.
 */
export async function waitForExtension(page, timeout = 45_000) {
  await page.waitForSelector(`.activitybar .action-item a[aria-label^="${EXTENSION_TITLE}"]`, { timeout });
}

/**
 * Moves the quick pick's focus to the row whose accessible label starts with `prefix` (with
 * `exact`: is `prefix`, or `prefix, <detail>`) and returns that label. The best fuzzy match is
 * not always first (e.g. "Browse Color Themes…" above "Color Theme"), so this walks with the
 * arrow keys, as a person would.
 */
async function focusRow(page, prefix, timeout, exact = false) {
  const find = ([wanted, whole]) => {
    const matches = (label) => (whole ? label === wanted || label.startsWith(`${wanted},`) : label.startsWith(wanted));
    const rows = [...document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row')];
    const target = rows.find((r) => matches(r.getAttribute('aria-label') ?? ''));
    const focused = rows.find((r) => r.classList.contains('focused'));
    if (!target || !focused) return false;
    return { label: target.getAttribute('aria-label'), steps: Number(target.dataset.index) - Number(focused.dataset.index) };
  };
  const { label, steps } = await (await page.waitForFunction(find, [prefix, exact], { timeout })).jsonValue();
  for (let i = 0; i < Math.abs(steps); i++) await page.keyboard.press(steps > 0 ? 'ArrowDown' : 'ArrowUp');
  await page.waitForFunction(
    ([selector, wanted]) => document.querySelector(selector)?.getAttribute('aria-label') === wanted,
    [FOCUSED_ROW, label],
    { timeout },
  );
  return label;
}

/**
 * Opens the command palette (F1), types `title`, focuses the command whose label starts with
 * it, and runs it. Retries while the palette does not list it yet (the extension host can still be
 * starting right after the workbench renders).
 */
export async function runFromPalette(page, title, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.keyboard.press('F1');
    await page.waitForSelector(QUICK_INPUT_BOX, { state: 'visible', timeout: Math.max(1, deadline - Date.now()) });
    await page.keyboard.type(title);
    try {
      await focusRow(page, title, Math.min(5_000, Math.max(1, deadline - Date.now())));
      await page.keyboard.press('Enter');
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`the command palette never offered "${title}": ${err.message}`);
      await page.keyboard.press('Escape');
      await page.waitForSelector(QUICK_INPUT_BOX, { state: 'hidden' });
    }
  }
}

/**
 * In an open quick pick (titled `title`, when given), types `label` and accepts the entry whose
 * label is exactly `label` (its accessible label is "label" or "label, detail").
 */
export async function pickQuickItem(page, { title, label, timeout = 15_000 }) {
  if (title) await page.waitForSelector(`${QUICK_INPUT} .quick-input-title:text-is("${title}")`, { state: 'visible', timeout });
  else await page.waitForSelector(QUICK_INPUT_BOX, { state: 'visible', timeout });
  await page.keyboard.type(label);
  const picked = await focusRow(page, label, timeout, true);
  await page.keyboard.press('Enter');
  await page.waitForSelector(QUICK_INPUT_BOX, { state: 'hidden', timeout });
  return picked;
}

/**
 * The frame holding the inspector's document (the one with the frame log #log). The workbench
 * swaps the inner frame when the webview loads, so frames are searched until one has it.
 */
export async function inspectorFrame(page, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      if (!frame.url().includes('/webview/')) continue;
      // A frame can be detached between listing and evaluating: just look at the next one.
      const found = await frame.evaluate(() => document.getElementById('log') !== null).catch(() => false);
      if (found) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no frame with the inspector (#log) within ${timeout / 1000} s; frames: ${page.frames().map((f) => f.url()).join(', ')}`);
    // Frames attach asynchronously; wait for the next one instead of spinning.
    await Promise.race([page.waitForEvent('frameattached', { timeout: 500 }).catch(() => {}), page.waitForEvent('framenavigated', { timeout: 500 }).catch(() => {})]);
  }
}

/**
 * Waits until the log shows at least `count` incoming message rows whose preview matches
 * `pattern` (a regex source), and returns their previews.
 */
export async function waitForIncomingMessages(frame, { count, pattern = '', timeout = 20_000 }) {
  const handle = await frame.waitForFunction(
    ([n, source]) => {
      const re = new RegExp(source);
      const previews = [...document.querySelectorAll('#log .row:not([hidden])')]
        .filter((row) => row.querySelector('.dir-in') && row.querySelector('.t-type')?.textContent === 'message')
        .map((row) => row.querySelector('.c-preview')?.textContent ?? '')
        .filter((text) => re.test(text));
      return previews.length >= n ? previews : false;
    },
    [count, pattern],
    { timeout },
  );
  return handle.jsonValue();
}

/** The text of `selector` in the frame, once it matches `pattern`. */
export async function waitForText(frame, selector, pattern, timeout = 20_000) {
  const handle = await frame.waitForFunction(
    ([sel, source]) => {
      const text = document.querySelector(sel)?.textContent ?? '';
      return new RegExp(source).test(text) ? text : false;
    },
    [selector, pattern.source],
    { timeout },
  );
  return handle.jsonValue();
}

/**
 * A headless Chromium for opening a workbench URL ourselves (the `npm start` check), with the
 * same guard as test/vscode/run.mjs: nothing but 127.0.0.1 resolves.
 */
export async function launchChromium() {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
  return browser;
}
