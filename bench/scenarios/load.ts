/**
 * Under load: the real demo server (its own process) publishing 20,000 messages per second
 * to a WebSocketSession recorded as the extension records it (showSecrets on, an onAppend
 * listener that schedules a flush), with the host's batching path posting rows every 200 ms
 * into the real webview bundle in headless Chromium. Host memory must stay at the cap, the
 * webview must run no task over 100 ms, and close() must take effect at once.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { FlushScheduler } from '../../src/extension/batcher';
import type { InspectorEvent } from '../../src/shared/events';
import { DEFAULTS } from '../../src/shared/options';
import { createSession } from '../../src/transports/index';
import { HostPipeline, FLUSH_INTERVAL_MS } from '../hostPipeline';
import { fmtNum, gc, median, now, within, type Check, type ClientParams, type ScenarioResult } from '../lib';
import { launch, openPanel, serve } from './webview';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The panel in headless Chromium, fed what the host posts (JSON, one task per post, as VS Code delivers it). */
async function openWebview(): Promise<{ page: Page; post(json: string): void; settle(): Promise<void>; longTasks(): Promise<number[] | undefined>; rowsShown(): Promise<string>; close(): Promise<void> } | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const site = await serve();
  const dir = mkdtempSync(join(tmpdir(), 'ri-bench-load-'));
  let ctx: BrowserContext | undefined;
  try {
    ctx = await launch(dir);
    const page = await ctx.newPage();
    await openPanel(page, site.origin);
    await page.evaluate(() => {
      const w = window as unknown as { __long: number[] };
      w.__long = [];
      // From now on: loading the page is not part of the run.
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__long.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    let chain: Promise<unknown> = Promise.resolve();
    const c = ctx;
    return {
      page,
      post: (json) => {
        chain = chain.then(() => page.evaluate((j) => window.postMessage(JSON.parse(j), '*'), json));
      },
      settle: async () => {
        await chain;
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
      },
      // The run's long tasks; then a deliberate 70 ms task proves the observer sees them (else undefined).
      longTasks: async () => {
        const seen = await page.evaluate(() => [...(window as unknown as { __long: number[] }).__long]);
        // A task of the page's own (a CDP evaluation is not one the observer attributes to the page).
        await page.evaluate(() => {
          setTimeout(() => {
            const t = performance.now();
            while (performance.now() - t < 70) {
              // busy on purpose
            }
          }, 0);
        });
        await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
        const after = await page.evaluate(() => (window as unknown as { __long: number[] }).__long.length);
        return after > seen.length ? seen : undefined;
      },
      rowsShown: () => page.evaluate(() => document.getElementById('log-count')?.textContent ?? ''),
      close: async () => {
        await c.close();
        await site.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await ctx?.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

interface Sample {
  s: number;
  messages: number;
  kept: number;
  dropped: number;
  rowsPosted: number;
  heapMB: number;
  rssMB: number;
}

export async function run(p: ClientParams): Promise<ScenarioResult> {
  const server = p.server as { urls: { ws: string } };
  const seconds = p.quick ? 8 : 12;
  const rate = 20_000;
  const s = createSession({ url: server.urls.ws, transport: 'ws', showSecrets: true });
  let posts = 0;
  let postedBytes = 0;
  const view = await openWebview();
  const t0 = now();
  const pipeline = new HostPipeline(s.log, s.stats, s.options, () => s.now(), (json) => {
    posts++;
    postedBytes += json.length;
    view?.post(json);
  });
  const scheduler = new FlushScheduler(() => {
    pipeline.flush();
    // As the panel: keep the loop going while rows are left or the session is live.
    if (pipeline.cursor < s.log.total || s.state === 'open') scheduler.schedule();
  }, FLUSH_INTERVAL_MS);
  s.onAppend(() => scheduler.schedule());
  await s.connect();
  const samples: Sample[] = [];
  const c0 = process.cpuUsage();
  for (let i = 1; i <= seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    const m = process.memoryUsage();
    samples.push({ s: i, messages: s.stats.messagesIn, kept: s.log.size, dropped: s.log.dropped, rowsPosted: pipeline.rowsPosted, heapMB: m.heapUsed / 2 ** 20, rssMB: m.rss / 2 ** 20 });
  }
  const cpu = process.cpuUsage(c0);
  const elapsed = (now() - t0) / 1000;
  const before = s.stats.messagesIn;
  const tc = now();
  const closing = s.close();
  await within(s.closed, 10_000, 'close() under load');
  const closeMs = now() - tc;
  await closing;
  const after = s.stats.messagesIn - before;
  scheduler.dispose();
  let webview: Check;
  if (view) {
    try {
      await view.settle();
      const shown = await view.rowsShown();
      const long = await view.longTasks();
      const over = long?.filter((d) => d > 100) ?? [];
      webview = {
        aim: 'the panel stays responsive: no task over 100 ms in the webview',
        measured: long
          ? `${over.length} tasks over 100 ms (longest ${long.length ? Math.max(...long).toFixed(0) : 0} ms; ${long.length} over 50 ms) while the page took ${fmtNum(pipeline.rowsPosted)} rows in ${fmtNum(posts)} posts; it shows "${shown}"`
          : 'not measured: the long-task observer did not report a deliberate 70 ms task',
        met: long ? over.length === 0 && /\d/.test(shown) : null,
      };
    } finally {
      await view.close();
    }
  } else {
    webview = { aim: 'the panel stays responsive: no task over 100 ms in the webview', measured: `not measured: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`, met: null };
  }

  // The demo server numbers its messages: contiguous seqs mean none was lost or skipped.
  const seqOf = (ev: InspectorEvent | undefined): number | undefined => (ev?.type === 'message' && typeof ev.data === 'string' ? Number(/^\{"seq":(\d+)/.exec(ev.data)?.[1]) : undefined);
  const kept = [...s.log].filter((ev) => ev.type === 'message' && ev.direction === 'in');
  const firstSeq = seqOf(kept[0]);
  const lastSeq = seqOf(kept[kept.length - 1]);
  const contiguous = firstSeq !== undefined && lastSeq !== undefined && lastSeq - firstSeq + 1 === kept.length;
  const steady = samples.length > 2 ? (samples[samples.length - 1].messages - samples[1].messages) / (samples.length - 2) : NaN;
  const cap = DEFAULTS.logCap;
  const full = samples.filter((x) => x.kept >= cap);
  const heap = full.map((x) => x.heapMB);
  const spread = heap.length ? (Math.max(...heap) - Math.min(...heap)) / median(heap) : NaN;
  const received = samples[samples.length - 1].messages;
  const recvRate = received / elapsed;
  const deliveredRate = pipeline.rowsPosted / elapsed;
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
  return {
    id: 'load',
    title: `Under load: demo server at ${fmtNum(rate)} msg/s (100 B) → WebSocketSession → host batching, ${seconds} s`,
    series: [
      { variant: 'session', metric: 'messages received', unit: 'msg/s', values: [recvRate], higherIsBetter: true },
      { variant: 'batching', metric: 'rows posted', unit: 'rows/s', values: [deliveredRate], higherIsBetter: true },
      { variant: 'batching', metric: 'posts', unit: '/s', values: [posts / elapsed], higherIsBetter: false },
      { variant: 'host', metric: 'heapUsed, ring full', unit: 'MiB', values: heap, higherIsBetter: false },
      { variant: 'host', metric: 'RSS', unit: 'MiB', values: samples.map((x) => x.rssMB), higherIsBetter: false },
      { variant: 'host', metric: 'CPU', unit: '%', values: [cpuPct], higherIsBetter: false },
      { variant: 'close()', metric: 'to closed', unit: 'ms', values: [closeMs], higherIsBetter: false },
    ],
    checks: [
      {
        aim: `host keeps up with ${fmtNum(rate)} msg/s`,
        measured: `${fmtNum(steady)} msg/s in steady state (what the demo server managed to publish on this machine), the ${fmtNum(kept.length)} kept messages have contiguous seqs ${firstSeq}–${lastSeq}: ${contiguous ? 'none lost' : 'GAPS'}; client CPU ${cpuPct.toFixed(0)}%`,
        met: contiguous && cpuPct < 80,
      },
      { aim: 'host memory stays at the cap', measured: `log holds ${fmtNum(s.log.size)} (cap ${fmtNum(cap)}), dropped ${fmtNum(s.log.dropped)}; heapUsed ${heap.map((x) => x.toFixed(0)).join(', ')} MiB once full (spread ${(spread * 100).toFixed(1)}%)`, met: s.log.size === cap && spread <= 0.2 },
      webview,
      { aim: 'close() takes effect at once', measured: `${closeMs.toFixed(1)} ms from close() to closed; ${after} messages recorded after close() was called`, met: closeMs < 100 },
    ],
    notes: [
      `batching posted ${fmtNum(posts)} messages (${fmtNum(postedBytes / posts)} B of JSON each on average) for ${fmtNum(pipeline.rowsPosted)} rows; ${fmtNum(pipeline.skipped)} rows fell out of the ring before they were posted (at most ${fmtNum((5000 * 1000) / FLUSH_INTERVAL_MS)} rows/s go to the webview: MAX_ROWS_PER_POST × 5 posts/s).`,
    ],
    data: { samples },
  };
}
