/**
 * Test harness for the webview bundle in real headless Chromium: builds the bundle, serves
 * it from a loopback HTTP server inside a page with the panel's CSP and a nonce, and stubs
 * acquireVsCodeApi so tests can read what the webview posts and feed it host messages.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { after, afterEach, before } from 'node:test';
import { isFromWebview, type FromWebview } from '../../src/shared/protocol';
import { DARK_MODERN, LIGHT_MODERN, themeCss } from './themes';

const ROOT = join(__dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Same options as the webview target in esbuild.js, written to a temp dir so the test does
 * not depend on the other bundles building (or race a concurrent `node esbuild.js`).
 */
export async function buildBundle(dir: string, minify = false): Promise<string> {
  await esbuild.build({
    entryPoints: { main: join(ROOT, 'src/webview/main.ts') },
    bundle: true,
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    outdir: dir,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    loader: { '.css': 'text', '.ttf': 'file' },
  });
  const codicons = join(ROOT, 'node_modules/@vscode/codicons/dist');
  for (const f of ['codicon.css', 'codicon.ttf']) await copyFile(join(codicons, f), join(dir, f));
  return join(dir, 'main.js');
}

export type Theme = 'dark' | 'light';

export interface Harness {
  ctx: BrowserContext;
  origin: string;
  open(opts?: { theme?: Theme; state?: unknown; width?: number; height?: number }): Promise<Panel>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'ri-webview-'));
  await buildBundle(dir);
  const files: Record<string, [string, string]> = {
    '/webview/main.js': ['main.js', 'text/javascript; charset=utf-8'],
    '/webview/codicon.css': ['codicon.css', 'text/css; charset=utf-8'],
    '/webview/codicon.ttf': ['codicon.ttf', 'font/ttf'],
  };
  let origin = '';
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/panel') {
      const theme: Theme = url.searchParams.get('theme') === 'light' ? 'light' : 'dark';
      const nonce = randomBytes(16).toString('base64');
      // The CSP of the real panel; cspSource is this server's origin here.
      const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${origin} 'nonce-${nonce}'; font-src ${origin};`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${themeCss(theme === 'light' ? LIGHT_MODERN : DARK_MODERN)}</style>
<title>Realtime Inspector</title>
</head>
<body class="vscode-${theme}">
<script type="module" nonce="${nonce}" src="/webview/main.js"></script>
</body>
</html>`);
      return;
    }
    const f = files[url.pathname];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    const body = await readFile(join(dir, f[0]));
    res.writeHead(200, { 'content-type': f[1], 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const userDataDir = await mkdtemp(join(tmpdir(), 'ri-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  // No request routing needed: the page's CSP (default-src 'none') only lets it load from this server.

  const panels: Panel[] = [];
  return {
    ctx,
    origin,
    async open(opts = {}) {
      const page = await ctx.newPage();
      if (opts.width || opts.height) await page.setViewportSize({ width: opts.width ?? 1280, height: opts.height ?? 800 });
      const panel = new Panel(page);
      panels.push(panel);
      // tsx compiles this file with keepNames: functions sent to the page call esbuild's __name helper.
      await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
      await page.addInitScript((initial: unknown) => {
        const w = window as unknown as Record<string, unknown>;
        const posted: unknown[] = [];
        let state = initial;
        let acquired = false;
        w.__posted = posted;
        w.__csp = [];
        w.__getState = () => state;
        // Like VS Code: callable once, messages are structured-cloned.
        w.acquireVsCodeApi = () => {
          if (acquired) throw new Error('acquireVsCodeApi called twice');
          acquired = true;
          return {
            postMessage: (m: unknown) => posted.push(structuredClone(m)),
            getState: () => state,
            setState: (s: unknown) => {
              state = structuredClone(s);
            },
          };
        };
        document.addEventListener('securitypolicyviolation', (e) => (w.__csp as string[]).push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
      }, opts.state ?? null);
      // Ready (below) is the signal that matters; no need to wait for fonts and the load event.
      await page.goto(`${origin}/panel?theme=${opts.theme ?? 'dark'}`, { waitUntil: 'commit' });
      await page.waitForFunction(() => ((window as unknown as { __posted: Array<{ type: string }> }).__posted ?? []).some((m) => m.type === 'Ready'));
      return panel;
    },
    async close() {
      for (const p of panels) await p.page.close().catch(() => undefined);
      await ctx.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export class Panel {
  readonly errors: string[] = [];
  readonly dialogs: string[] = [];

  constructor(readonly page: Page) {
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.errors.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      this.dialogs.push(d.message());
      void d.dismiss();
    });
  }

  async posted(): Promise<FromWebview[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: FromWebview[] }).__posted);
  }

  /** Like VS Code's webview.postMessage: a window message event with structured-cloned data. */
  async send(message: unknown): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message);
  }

  /** Waits for a posted message of this type (the n-th one, counting from 1) and returns it. */
  async waitPosted<T extends FromWebview['type']>(type: T, nth = 1, pred?: string): Promise<Extract<FromWebview, { type: T }>> {
    await this.page.waitForFunction(
      ([t, n, p]) => {
        const list = (window as unknown as { __posted: Array<Record<string, unknown>> }).__posted.filter((m) => m.type === t && (!p || JSON.stringify(m).includes(p)));
        return list.length >= n;
      },
      [type, nth, pred ?? ''] as const,
    );
    const all = (await this.posted()).filter((m) => m.type === type && (!pred || JSON.stringify(m).includes(pred)));
    return all[nth - 1] as Extract<FromWebview, { type: T }>;
  }

  async count(type: FromWebview['type']): Promise<number> {
    return (await this.posted()).filter((m) => m.type === type).length;
  }

  async text(selector: string): Promise<string> {
    return (await this.page.locator(selector).first().textContent()) ?? '';
  }

  /** No CSP violation, console error, page error or dialog; every posted message passes the host's guard. */
  async assertClean(): Promise<void> {
    const csp = await this.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    if (csp.length) throw new Error(`CSP violations: ${csp.join('; ')}`);
    if (this.errors.length) throw new Error(`errors in the page: ${this.errors.join('; ')}`);
    if (this.dialogs.length) throw new Error(`dialogs opened: ${this.dialogs.join('; ')}`);
    for (const m of await this.posted()) if (!isFromWebview(m)) throw new Error(`posted message fails isFromWebview: ${JSON.stringify(m).slice(0, 300)}`);
  }
}

/**
 * Registers one harness for a test file (started before, closed after) and returns `open`.
 * Every test ends with a page that had no CSP violation, error or dialog, and posted only
 * what the host guard accepts.
 */
export function usePanels(): (opts?: Parameters<Harness['open']>[0]) => Promise<Panel> {
  let harness: Harness | undefined;
  let panel: Panel | undefined;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness?.close();
  });
  afterEach(async () => {
    if (!panel) return;
    const p = panel;
    panel = undefined;
    try {
      await p.assertClean();
    } finally {
      await p.page.close();
    }
  });
  return async (opts) => {
    if (!harness) throw new Error('usePanels(): the harness is not started (call open() inside a test)');
    panel = await harness.open(opts);
    return panel;
  };
}
