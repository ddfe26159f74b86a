/**
 * Host → webview, and the webview holding 100,000 frames, in headless Chromium with the
 * production bundle (dist/webview/main.js, built by `node esbuild.js --production`).
 *
 * 1. Delivery: 100,000 recorded events go through the host path (hostPipeline.ts: the real
 *    batching, redaction, toRow and stats code) as JSON, then into the page as VS Code hands
 *    them over (parsed, posted to the window, structured-cloned, dispatched to the app).
 *    Batched (5,000 rows per post) against one post per record.
 * 2. With 100,000 frames held: extra renderer memory (JS heap after GC, CDP), DOM nodes,
 *    the time to take in and render a batch of 1,000 frames (p95), and the time to jump to
 *    any scroll position (p95).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import type { EventLog } from '../../src/shared/eventLog';
import { toColumns } from '../../src/shared/rows';
import type { SessionStats } from '../../src/shared/stats';
import { createSession } from '../../src/transports/index';
import { HostPipeline, MAX_ROWS_PER_POST } from '../hostPipeline';
import { fmtNum, now, pct, within, type Check, type ClientParams, type ScenarioResult, type Series } from '../lib';

const ROOT = join(__dirname, '..', '..');
const FRAMES = 100_000;
const PER_RECORD_SAMPLE = 10_000;

interface W {
  __posted: Array<{ type: string }>;
  __deliver(json: string[]): Promise<number>;
  __batch(json: string): Promise<{ handle: number; render: number; layout: number }>;
  __jump(fraction: number): { js: number; layout: number };
  __counts(): { elements: number; rows: number };
}

export async function serve(): Promise<{ origin: string; close(): Promise<void> }> {
  const dist = join(ROOT, 'dist/webview');
  const main = join(dist, 'main.js');
  if (!existsSync(main)) throw new Error('dist/webview/main.js is missing: run `node esbuild.js --production` first (npm run bench does).');
  let origin = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/panel') {
      const nonce = randomBytes(16).toString('base64');
      const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${origin} 'nonce-${nonce}'; font-src ${origin};`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><title>bench</title></head><body class="vscode-dark"><script type="module" nonce="${nonce}" src="/webview/main.js"></script></body></html>`);
      return;
    }
    const files: Record<string, [string, string]> = { '/webview/main.js': [main, 'text/javascript'], '/webview/codicon.css': [join(dist, 'codicon.css'), 'text/css'], '/webview/codicon.ttf': [join(dist, 'codicon.ttf'), 'font/ttf'] };
    const f = files[url.pathname];
    if (!f || !existsSync(f[0])) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[1] });
    res.end(readFileSync(f[0]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** In-page helpers: delivery as VS Code does it, a timed batch, a timed jump. */
function pageHelpers(): void {
  const w = window as unknown as W & Record<string, unknown>;
  const posted: Array<{ type: string }> = [];
  w.__posted = posted;
  let acquired = false;
  w.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    let state: unknown = null;
    return { postMessage: (m: { type: string }) => posted.push(structuredClone(m)), getState: () => state, setState: (s: unknown) => (state = structuredClone(s)) };
  };
  const frame = (): Promise<number> => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  // Parsed from JSON (the IPC hop) and posted to the window (structured clone + a task per message), as VS Code delivers host messages.
  w.__deliver = (json: string[]) =>
    new Promise<number>((resolve) => {
      let seen = 0;
      const t0 = performance.now();
      const onMessage = (): void => {
        if (++seen < json.length) return;
        window.removeEventListener('message', onMessage);
        // The app renders on the next frame: include it.
        void frame().then(() => {
          void document.body.offsetHeight;
          resolve(performance.now() - t0);
        });
      };
      // Added after the app's listener: when it sees the last message, the app has handled all of them.
      window.addEventListener('message', onMessage);
      for (const j of json) window.postMessage(JSON.parse(j), '*');
    });
  w.__batch = async (json: string) => {
    await frame();
    await new Promise((r) => setTimeout(r, 0));
    let tA = 0;
    // Runs before the app's render callback (registered first), the second one after it.
    requestAnimationFrame(() => (tA = performance.now()));
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data: structuredClone(JSON.parse(json)) }));
    const handle = performance.now() - t0;
    return new Promise((resolve) =>
      requestAnimationFrame(() => {
        const tB = performance.now();
        void document.body.offsetHeight;
        resolve({ handle, render: tB - tA, layout: performance.now() - tB });
      }),
    );
  };
  w.__jump = (fraction: number) => {
    const el = document.getElementById('log')!;
    const t0 = performance.now();
    el.scrollTop = Math.round(fraction * (el.scrollHeight - el.clientHeight));
    // The scroll event would come with the next frame; dispatched here so the work is timed alone.
    el.dispatchEvent(new Event('scroll'));
    const t1 = performance.now();
    void document.body.offsetHeight;
    return { js: t1 - t0, layout: performance.now() - t1 };
  };
  w.__counts = () => {
    let elements = 0;
    const walk = (root: Document | ShadowRoot): void => {
      for (const el of root.querySelectorAll('*')) {
        elements++;
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return { elements, rows: document.querySelectorAll('#log .row').length };
  };
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const r = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  return Object.fromEntries(r.metrics.map((m) => [m.name, m.value]));
}

async function heapAfterGc(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  return (await metrics(cdp)).JSHeapUsedSize;
}

/** 100,000 events recorded by a real WebSocketSession (100 B text messages). */
async function record(port: number): Promise<{ log: EventLog; stats: SessionStats; nowT: () => number }> {
  const s = createSession({ url: `ws://127.0.0.1:${port}/blast?size=100&count=${FRAMES}`, transport: 'ws', showSecrets: true, logCap: FRAMES + 100 });
  await s.connect();
  await within(s.closed, 60_000, 'recording');
  return { log: s.log, stats: s.stats, nowT: () => s.now() };
}

/** Headless Chromium as the webview scenarios use it. */
export function launch(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
}

export async function openPanel(page: Page, origin: string): Promise<void> {
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.addInitScript(pageHelpers);
  await page.goto(`${origin}/panel`, { waitUntil: 'commit' });
  await page.waitForFunction(() => (window as unknown as W).__posted?.some((m) => m.type === 'Ready'), undefined, { timeout: 20_000 });
  const snapshot = {
    type: 'Snapshot',
    sessions: [{ id: 's1', name: 'bench', transport: 'ws', url: 'ws://127.0.0.1/blast', state: 'open', readOnly: false, total: 0, dropped: 0 }],
    activeSessionId: 's1',
    rows: toColumns([]),
    hints: [],
    settings: { logCap: FRAMES, revealSecrets: false },
    defaults: {},
  };
  await page.evaluate((m) => window.postMessage(m, '*'), snapshot);
  await page.waitForFunction(() => document.getElementById('log') !== null);
}

export async function run(p: ClientParams): Promise<ScenarioResult[]> {
  const rec = await record(p.port);
  // Host side: the batched path and the per-record path over the same events.
  const batches: string[] = [];
  const batched = new HostPipeline(rec.log, rec.stats, {}, rec.nowT, (j) => batches.push(j));
  let t = now();
  while (batched.flush(MAX_ROWS_PER_POST)) {
    // until the log is drained
  }
  const hostBatchMs = now() - t;
  const singles: string[] = [];
  const each = new HostPipeline(rec.log, rec.stats, {}, rec.nowT, (j) => singles.push(j));
  t = now();
  each.postEach(PER_RECORD_SAMPLE);
  const hostEachMs = now() - t;

  const site = await serve();
  const userDataDir = mkdtempSync(join(tmpdir(), 'ri-bench-chromium-'));
  const ctx = await launch(userDataDir);
  try {
    const errors: string[] = [];
    // Per-record delivery in a page of its own, so the batched page starts clean.
    const pageEach = await ctx.newPage();
    pageEach.on('pageerror', (e) => errors.push(e.message));
    await openPanel(pageEach, site.origin);
    await pageEach.evaluate((j) => ((window as unknown as Record<string, unknown>).__pending = j), singles);
    const pageEachMs = await pageEach.evaluate(() => (window as unknown as W).__deliver((window as unknown as { __pending: string[] }).__pending));
    await pageEach.close();

    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await openPanel(page, site.origin);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    await cdp.send('HeapProfiler.enable');
    const heap0 = await heapAfterGc(cdp);
    const nodes0 = (await metrics(cdp)).Nodes;
    await page.evaluate((j) => ((window as unknown as Record<string, unknown>).__pending = j), batches);
    const pageBatchMs = await page.evaluate(() => (window as unknown as W).__deliver((window as unknown as { __pending: string[] }).__pending));
    await page.evaluate(() => delete (window as unknown as Record<string, unknown>).__pending);
    const heap1 = await heapAfterGc(cdp);
    const m1 = await metrics(cdp);
    const counts = await page.evaluate(() => (window as unknown as W).__counts());
    // A measurement of a page that dropped the batches would look fast: make sure the rows are there.
    const shown = await page.evaluate(() => document.getElementById('log-count')?.textContent ?? '');
    if (shown.replace(/\D/g, '') !== String(FRAMES) || counts.rows === 0) throw new Error(`the page did not take the ${FRAMES} rows (it shows "${shown}", ${counts.rows} row elements): ${errors.join('; ') || 'no page error'}`);

    // 1,000-frame batches on top of the 100,000 (the log stays at its cap of 100,000).
    const extra = new HostPipeline(rec.log, rec.stats, {}, rec.nowT, () => undefined);
    // The batches reuse the recorded events: each gets later times (as new frames have), or
    // batch after batch would show the same clock texts at the same places and a view that
    // skips unchanged text would have nothing to write.
    const span = rec.log.at(rec.log.size - 1)!.t - rec.log.at(0)!.t + 1;
    const batchTimes: number[] = [];
    const parts: Array<{ handle: number; render: number; layout: number }> = [];
    for (let i = 0; i < (p.quick ? 15 : 40); i++) {
      const seq0 = FRAMES + 1000 + i * 1000;
      const json = JSON.stringify({
        type: 'DidAppendRows',
        sessionId: 's1',
        rows: toColumns(
          Array.from({ length: 1000 }, (_, k) => {
            const r = extra.row(rec.log.at(k)!);
            return { ...r, seq: seq0 + k, t: r.t + (i + 1) * span };
          }),
        ),
        total: seq0 + 1000,
        dropped: 0,
        stats: { messagesIn: seq0, messagesOut: 0, bytesIn: seq0 * 100, bytesOut: 0, rateIn: 0, byteRateIn: 0, overheadPerMessage: 2, polls: 0, uselessPolls: 0, reconnects: 0, errors: 0 },
      });
      const r = await page.evaluate((j) => (window as unknown as W).__batch(j), json);
      parts.push(r);
      batchTimes.push(r.handle + r.render + r.layout);
    }
    // Jumps to random positions (fixed seed: the same positions every run).
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const jumps: number[] = [];
    const jumpParts: Array<{ js: number; layout: number }> = [];
    for (let i = 0; i < (p.quick ? 30 : 100); i++) {
      const j = await page.evaluate((f) => (window as unknown as W).__jump(f), rnd());
      jumpParts.push(j);
      jumps.push(j.js + j.layout);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    }
    // Text nodes replaced while scrolling are garbage until the next GC: count live ones.
    await heapAfterGc(cdp);
    const nodesAfter = (await metrics(cdp)).Nodes;
    await page.close();

    const hostBatchRate = FRAMES / (hostBatchMs / 1000);
    const e2eBatch = FRAMES / ((hostBatchMs + pageBatchMs) / 1000);
    const e2eEach = PER_RECORD_SAMPLE / ((hostEachMs + pageEachMs) / 1000);
    const extraMB = (heap1 - heap0) / 2 ** 20;
    const p95 = pct(batchTimes, 95);
    const j95 = pct(jumps, 95);
    const delivery: ScenarioResult = {
      id: 'host-to-webview',
      title: `Host → webview: ${fmtNum(FRAMES)} recorded events as rows (batched: ${fmtNum(MAX_ROWS_PER_POST)} per post; per record: ${fmtNum(PER_RECORD_SAMPLE)} posts)`,
      series: [
        { variant: 'batched', metric: 'end to end', unit: 'rows/s', values: [e2eBatch], higherIsBetter: true },
        { variant: 'per record', metric: 'end to end', unit: 'rows/s', values: [e2eEach], baseline: 'batched', higherIsBetter: true },
        { variant: 'batched', metric: 'host (rows+JSON)', unit: 'rows/s', values: [hostBatchRate], higherIsBetter: true },
        { variant: 'per record', metric: 'host (rows+JSON)', unit: 'rows/s', values: [PER_RECORD_SAMPLE / (hostEachMs / 1000)], baseline: 'batched', higherIsBetter: true },
        { variant: 'batched', metric: 'page (deliver+render)', unit: 'rows/s', values: [FRAMES / (pageBatchMs / 1000)], higherIsBetter: true },
        { variant: 'per record', metric: 'page (deliver+render)', unit: 'rows/s', values: [PER_RECORD_SAMPLE / (pageEachMs / 1000)], baseline: 'batched', higherIsBetter: true },
      ],
      checks: [
        { aim: 'batched delivery ≥ 400k records/s', measured: `${fmtNum(e2eBatch)} rows/s end to end (host ${fmtNum(hostBatchMs)} ms + page ${fmtNum(pageBatchMs)} ms for ${fmtNum(FRAMES)})`, met: e2eBatch >= 400_000 },
        { aim: 'one post per record is much slower (≈ 24×)', measured: `${(e2eBatch / e2eEach).toFixed(1)}× slower`, met: null },
      ],
      notes: [
        'Measures capacity: the panel posts at most every 200 ms and 5,000 rows per post, so a live session reaches the webview at up to 25,000 rows/s; faster sessions are recorded in full and the view skips what fell out of the ring.',
        'The host half runs the real batching modules in Node; InspectorPanel itself needs VS Code. The page half models VS Code\'s hand-over (JSON parse, window.postMessage) in Chromium.',
        ...(errors.length ? [`page errors: ${errors.slice(0, 3).join(' | ')}`] : []),
      ],
    };
    const series: Series[] = [
      { variant: '100k frames', metric: 'extra JS heap', unit: 'MiB', values: [extraMB], higherIsBetter: false },
      { variant: '100k frames', metric: 'DOM nodes (CDP)', unit: '', values: [m1.Nodes], higherIsBetter: false },
      { variant: '100k frames', metric: 'elements (incl. shadow)', unit: '', values: [counts.elements], higherIsBetter: false },
      { variant: '1,000-frame batch', metric: 'total', unit: 'ms', values: batchTimes, higherIsBetter: false },
      { variant: '1,000-frame batch', metric: 'handler', unit: 'ms', values: parts.map((x) => x.handle), higherIsBetter: false },
      { variant: '1,000-frame batch', metric: 'rAF render', unit: 'ms', values: parts.map((x) => x.render), higherIsBetter: false },
      { variant: '1,000-frame batch', metric: 'style+layout', unit: 'ms', values: parts.map((x) => x.layout), higherIsBetter: false },
      { variant: 'jump to position', metric: 'total', unit: 'ms', values: jumps, higherIsBetter: false },
      { variant: 'jump to position', metric: 'scroll handler', unit: 'ms', values: jumpParts.map((x) => x.js), higherIsBetter: false },
      { variant: 'jump to position', metric: 'style+layout', unit: 'ms', values: jumpParts.map((x) => x.layout), higherIsBetter: false },
    ];
    const checks: Check[] = [
      { aim: '< 60 MB extra renderer memory with 100,000 frames', measured: `${extraMB.toFixed(1)} MiB JS heap after GC (${fmtNum(heap0 / 2 ** 20)} → ${fmtNum(heap1 / 2 ** 20)} MiB)`, met: extraMB < 60 },
      { aim: '< 1,500 DOM nodes', measured: `${m1.Nodes} nodes (CDP, text nodes included; ${nodes0} before the rows, ${nodesAfter} after the jumps); ${counts.elements} elements incl. shadow roots, ${counts.rows} log rows`, met: Math.max(m1.Nodes, nodesAfter) < 1500 },
      { aim: 'a batch of 1,000 frames rendered in < 8 ms at p95', measured: `p95 ${p95.toFixed(2)} ms, median ${pct(batchTimes, 50).toFixed(2)} ms (handler + rAF render + forced style/layout)`, met: p95 < 8 },
      { aim: 'a jump to any scroll position in < 5 ms', measured: `p95 ${j95.toFixed(2)} ms, max ${Math.max(...jumps).toFixed(2)} ms`, met: j95 < 5 },
    ];
    return [delivery, { id: 'webview-100k', title: 'Webview holding 100,000 frames (headless Chromium, production bundle)', series, checks, notes: [] }];
  } finally {
    await ctx.close();
    await site.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
