/**
 * The Analysis view (auth matrix, transport comparison) of the webview bundle in real
 * headless Chromium, inside a page with the panel's CSP.
 * Run: node --import tsx --test test/webview/analysis.test.ts
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isFromWebview, type AuthMatrixView, type ComparisonView } from '../../src/shared/protocol';
import { AUTH_MATRIX_WS, COMPARISON } from './analysisFixtures';
import { HINTS, rowsOf, snapshot, STATS, WS_SESSION, wsEvents } from './fixtures';
import { usePanels, type Panel } from './harness';
import { DARK_MODERN, LIGHT_MODERN } from './themes';

const open = usePanels();

/** "#F14C4C" → "rgb(241, 76, 76)", as getComputedStyle reports colours. */
function rgb(hex: string): string {
  const n = parseInt(hex.slice(1, 7), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

async function frames(p: Panel): Promise<void> {
  await p.page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

/** Width of each bar of a chart, per transport, in px. */
async function barWidths(p: Panel, chartId: string): Promise<Record<string, Record<string, number>>> {
  return p.page.evaluate((id) => {
    const out: Record<string, Record<string, number>> = {};
    for (const row of document.querySelectorAll<HTMLElement>(`#${id} .chart-row`)) {
      const bars: Record<string, number> = { track: row.querySelector('.track')!.getBoundingClientRect().width };
      for (const b of row.querySelectorAll<HTMLElement>('.bar')) bars[[...b.classList].find((c) => c !== 'bar')!] = b.getBoundingClientRect().width;
      out[row.dataset.transport!] = bars;
    }
    return out;
  }, chartId);
}

const near = (actual: number, expected: number, tolerance: number, what: string): void => assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

const row = (t: string) => COMPARISON.rows.find((r) => r.transport === t)!;

describe('Analysis view', () => {
  it('renders the auth matrix: one row per placement, outcome with codicon and theme colour, evidence, time, risk', async () => {
    const p = await open();
    await p.send(snapshot());
    await p.send({ type: 'DidRunAuthMatrix', ...AUTH_MATRIX_WS });
    await p.page.locator('#auth-matrix-table').waitFor({ state: 'attached' });
    // Results show in the Analysis tab; the tab was not switched for the user (no run was started).
    assert.equal(await p.page.getAttribute('#side-tab-hints', 'aria-selected'), 'true');
    await p.page.click('#side-tab-analysis');
    assert.equal(await p.page.locator('#side-panel-analysis').isVisible(), true);

    const rows = await p.page.locator('#auth-matrix-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        placement: tr.getAttribute('data-placement'),
        cells: [...tr.children].map((c) => (c.textContent ?? '').trim()),
        icon: tr.querySelector('.outcome .codicon')?.className ?? '',
        color: getComputedStyle(tr.querySelector('.outcome')!).color,
      })),
    );
    assert.deepEqual(
      rows.map((r) => r.placement),
      ['none', 'query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url'],
    );
    assert.deepEqual(await p.page.locator('#auth-matrix-table thead th').allTextContents(), ['Placement', 'Carrier', 'Outcome', 'How the server said so', 'Time to verdict', 'Risk']);
    const control = rows[0];
    assert.equal(control.cells[0], 'none (control)');
    assert.equal(control.cells[1], 'no credential');
    assert.equal(control.cells[2], 'rejected');
    assert.match(control.icon, /codicon-error/);
    assert.equal(control.color, rgb(DARK_MODERN['charts-red']));
    assert.match(control.cells[3], /^The server answered 401 Unauthorized/);
    assert.equal(control.cells[4], '28.3 ms');
    assert.match(control.cells[5], /^Control row/);
    for (const r of rows.slice(1)) {
      assert.equal(r.cells[2], 'accepted', r.placement!);
      assert.match(r.icon, /codicon-pass/);
      assert.equal(r.color, rgb(DARK_MODERN['charts-green']));
    }
    const firstMessage = rows.find((r) => r.placement === 'first-message')!;
    assert.match(firstMessage.cells[3], /first answer: \{"kind":"auth-ok"\}open unauthenticated for 2\.7 ms/);
    assert.equal(firstMessage.cells[4], '8.8 ms');
    assert.match(await p.text('#auth-matrix-summary'), /^1 rejected · 6 accepted$/);
    assert.match(await p.text('#auth-matrix'), /Auth matrix · WebSocket/);
    assert.equal(await p.text('#auth-matrix-url'), 'ws://127.0.0.1:41234/auth/{method}/ws');
  });

  it('gives every outcome its own codicon and colour, in the light theme too', async () => {
    const p = await open({ theme: 'light' });
    const outcomes = ['accepted', 'rejected', 'failed', 'inconclusive', 'skipped'] as const;
    const view: AuthMatrixView = {
      transport: 'poll',
      url: 'http://127.0.0.1:41234/auth/{method}/poll',
      finishedAt: 0,
      rows: outcomes.map((outcome, i) => ({ placement: (['query', 'bearer', 'cookie', 'first-message', 'token-url'] as const)[i], carrier: 'c', url: 'u', outcome, evidence: `e ${outcome}`, risk: 'r' })),
    };
    await p.send(snapshot());
    await p.send({ type: 'DidRunAuthMatrix', ...view });
    await p.page.click('#side-tab-analysis');
    await p.page.locator('#auth-matrix-table').waitFor();
    const got = await p.page.locator('#auth-matrix-table .outcome').evaluateAll((els) => els.map((el) => ({ text: el.textContent, icon: el.querySelector('.codicon')!.className, color: getComputedStyle(el).color })));
    const expected: Record<(typeof outcomes)[number], [string, string]> = {
      accepted: ['pass', rgb(LIGHT_MODERN['charts-green'])],
      rejected: ['error', rgb(LIGHT_MODERN['charts-red'])],
      failed: ['warning', rgb(LIGHT_MODERN['charts-orange'])],
      inconclusive: ['question', rgb(LIGHT_MODERN['charts-yellow'])],
      skipped: ['circle-slash', rgb(LIGHT_MODERN.descriptionForeground)],
    };
    assert.deepEqual(
      got.map((g) => g.text),
      [...outcomes],
    );
    for (const [i, o] of outcomes.entries()) {
      assert.match(got[i].icon, new RegExp(`codicon-${expected[o][0]}\\b`), o);
      assert.equal(got[i].color, expected[o][1], o);
    }
    // Rows without a time show a dash.
    assert.equal(await p.text('#auth-matrix-table tbody tr >> nth=0 >> td >> nth=3'), '–');
  });

  it('renders the comparison: metrics × transports, bars proportional to the numbers, notes and hint counts', async () => {
    const p = await open();
    await p.send(snapshot());
    await p.send({ type: 'DidCompareTransports', result: COMPARISON });
    await p.page.click('#side-tab-analysis');
    await p.page.locator('#comparison-table').waitFor();
    await frames(p);

    assert.deepEqual(await p.page.locator('#comparison-table thead th').allTextContents(), ['Metric', 'WebSocket', 'SSE', 'Long polling', 'Short polling']);
    const table = await p.page.locator('#comparison-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    const metric = (label: string) => table.find((r) => r[0] === label)?.slice(1);
    assert.deepEqual(metric('Messages delivered'), ['36', '36', '37', '4']);
    assert.deepEqual(metric('Missed (seq gaps)'), ['0', '0', '0', '21']);
    assert.deepEqual(metric('Latency p50 / p95 / p99 (ms)'), ['2.9 / 15.8 / 107', '4.8 / 43.1 / 108', '3.4 / 21.3 / 25.1', '73.8 / 96.5 / 96.5']);
    assert.deepEqual(metric('Requests (useless)'), ['1 (0)', '1 (0)', '38 (0)', '5 (1)']);
    assert.deepEqual(metric('Bytes per message'), ['89.1 B', '116 B', '610 B', '764 B']);
    assert.deepEqual(metric('payload + overhead'), ['74.4 B + 14.8 B', '74.4 B + 42 B', '74.1 B + 536 B', '64 B + 700 B']);
    assert.deepEqual(metric('Reconnects'), ['0', '0', '0', '0']);
    assert.deepEqual(metric('Gap p50 / p95 (ms)'), ['–', '–', '1 / 7.9', '1,001.4 / 1,073.8']);
    assert.deepEqual(metric('Connections'), ['1', '2', '2', '2']);
    assert.ok(metric('Sends (bytes per send)'), 'the run sent messages: the sends row shows');
    // Missed messages are flagged.
    assert.equal(await p.page.locator('#comparison-table td.warn[data-transport="poll"]').count(), 1);

    // Hint counts per transport, by severity, with the messages on hover.
    const hints = await p.page.locator('#comparison-table .hint-counts').evaluateAll((els) => els.map((el) => ({ label: el.getAttribute('aria-label'), title: el.getAttribute('title') })));
    assert.deepEqual(
      hints.map((h) => h.label),
      ['1 info', '1 info', '1 warning', '1 warning'],
    );
    assert.match(hints[3].title ?? '', /^warning: /);

    // Bytes per message: stacked payload + overhead, the longest bar for the most bytes.
    const bytes = await barWidths(p, 'chart-bytes');
    const max = row('poll').bytesPerMessage!;
    const track = bytes.poll.track;
    assert.ok(track > 100, `track ${track}`);
    assert.ok(Object.values(bytes).every((b) => b.track === track), 'every row has the same track width');
    for (const t of ['ws', 'sse', 'long-poll', 'poll']) {
      const r = row(t);
      near(bytes[t].payload, (r.payloadBytesPerMessage! / max) * track, 1.5, `${t} payload`);
      near(bytes[t].overhead, (r.overheadBytesPerMessage! / max) * track, 1.5, `${t} overhead`);
      near(bytes[t].payload + bytes[t].overhead, (r.bytesPerMessage! / max) * track, 2, `${t} total`);
    }
    assert.ok(bytes.ws.payload + bytes.ws.overhead < bytes.sse.payload + bytes.sse.overhead, 'WebSocket costs fewer bytes than SSE');
    assert.ok(bytes.ws.overhead * 5 < bytes.ws.payload, 'WebSocket overhead is a sliver next to its payload');
    // Latency: p50 and p95 against the largest p95.
    const lat = await barWidths(p, 'chart-latency');
    const maxP95 = row('poll').latencyMs.p95!;
    for (const t of ['ws', 'sse', 'long-poll', 'poll']) {
      near(lat[t].p50, (row(t).latencyMs.p50! / maxP95) * lat[t].track, 1.5, `${t} p50`);
      near(lat[t].p95, (row(t).latencyMs.p95! / maxP95) * lat[t].track, 1.5, `${t} p95`);
    }
    // Accessible text next to every bar; the bars themselves are decoration.
    assert.deepEqual(await p.page.locator('#chart-bytes .chart-label').allTextContents(), ['WebSocket', 'SSE', 'Long polling', 'Short polling']);
    assert.equal(await p.text('#chart-bytes .chart-row[data-transport="ws"] .chart-value'), '89.1 B = 74.4 B + 14.8 B');
    assert.equal(await p.text('#chart-latency .chart-row[data-transport="poll"] .chart-value'), '73.8 · 96.5 ms');
    assert.equal(await p.page.locator('#chart-bytes .track[aria-hidden="true"]').count(), 4);
    assert.match(await p.text('#chart-bytes figcaption'), /payload.*overhead/);
    // Bars are coloured from the theme.
    const colors = await p.page.evaluate(() => ['payload', 'overhead', 'p50', 'p95'].map((c) => getComputedStyle(document.querySelector(`.bar.${c}`)!).backgroundColor));
    assert.deepEqual(colors, [rgb(DARK_MODERN['charts-blue']), rgb(DARK_MODERN['charts-orange']), rgb(DARK_MODERN['charts-green']), rgb(DARK_MODERN['charts-purple'])]);

    assert.equal(await p.page.locator('#comparison-notes li').count(), COMPARISON.notes.length);
    assert.match(await p.text('#comparison-summary'), /^4 transports · 5\.0 s each · concurrent · short-poll interval 1,000 ms$/);
  });

  it('shows a transport that failed: marked in the header, no bar, its error below', async () => {
    const p = await open();
    const result: ComparisonView = { ...COMPARISON, rows: [row('ws'), { ...row('poll'), ok: false, error: 'Could not connect to 127.0.0.1:9: connection refused (ECONNREFUSED).', delivered: 0, bytesPerMessage: undefined, payloadBytesPerMessage: undefined, overheadBytesPerMessage: undefined, latencyMs: { samples: 0 } }] };
    await p.send(snapshot());
    await p.send({ type: 'DidCompareTransports', result });
    await p.page.click('#side-tab-analysis');
    await p.page.locator('#comparison-errors').waitFor();
    assert.match(await p.text('#comparison-errors'), /Short polling: Could not connect to 127\.0\.0\.1:9: connection refused/);
    assert.equal(await p.page.locator('#comparison-table thead th.failed[data-transport="poll"] .codicon-error').count(), 1);
    assert.equal(await p.text('#chart-bytes .chart-row[data-transport="poll"] .chart-value'), 'failed');
    assert.equal(await p.page.locator('#chart-bytes .chart-row[data-transport="poll"] .bar').count(), 0);
    // The remaining bar fills its track: it is the only (so the largest) one.
    const bytes = await barWidths(p, 'chart-bytes');
    near(bytes.ws.payload + bytes.ws.overhead, bytes.ws.track, 1, 'ws fills the track');
  });

  it('renders hostile strings in evidence, risk, carrier, URLs, notes, hints and errors as inert text', async () => {
    const p = await open();
    const evil = '<img src=x onerror=alert(1)>\u001b[31mred\u001b[0m \u202Egnp.exe <script>alert(2)</script>';
    const matrix: AuthMatrixView = {
      ...AUTH_MATRIX_WS,
      url: `ws://127.0.0.1:41234/<svg onload=alert(3)>`,
      rows: AUTH_MATRIX_WS.rows.map((r) => ({ ...r, evidence: `${evil} evidence`, risk: `<iframe src=javascript:alert(4)> ${evil}`, carrier: '<b>bold</b>' })),
    };
    const result: ComparisonView = {
      ...COMPARISON,
      notes: ['<img src=x onerror=alert(5)> note \u202E'],
      rows: COMPARISON.rows.map((r, i) => ({ ...r, url: '<img src=x onerror=alert(6)>', hints: [{ id: 'x', severity: 'risk', message: '<img src=x onerror=alert(7)>' }], ...(i === 0 ? { ok: false, error: `<u>${evil}</u>` } : {}) })),
    };
    await p.send(snapshot());
    await p.send({ type: 'DidRunAuthMatrix', ...matrix });
    await p.send({ type: 'DidCompareTransports', result });
    await p.send({ type: 'DidChangeAnalysisState', running: { kind: 'compare', title: '<img src=x onerror=alert(8)>' } });
    await p.page.locator('#auth-matrix-table').waitFor();
    await p.page.locator('#comparison-errors').waitFor({ state: 'attached' });

    assert.equal(await p.text('#auth-matrix-table tbody tr >> nth=0 >> td.evidence'), '<img src=x onerror=alert(1)>␛[31mred␛[0m ⟨RLO⟩gnp.exe <script>alert(2)</script> evidence');
    assert.match(await p.text('#auth-matrix-table tbody tr >> nth=0 >> td.risk'), /^<iframe src=javascript:alert\(4\)> <img/);
    assert.equal(await p.text('#auth-matrix-table tbody tr >> nth=0 >> td >> nth=0'), '<b>bold</b>');
    assert.equal(await p.text('#auth-matrix-url'), 'ws://127.0.0.1:41234/<svg onload=alert(3)>');
    assert.equal(await p.text('#comparison-notes li'), '<img src=x onerror=alert(5)> note ⟨RLO⟩');
    assert.match(await p.text('#comparison-errors'), /<u><img src=x onerror=alert\(1\)>␛\[31mred/);
    assert.match(await p.text('#analysis-status'), /<img src=x onerror=alert\(8\)>…/);

    const found = await p.page.evaluate(() => {
      const hits: string[] = [];
      for (const el of document.querySelectorAll('#side *')) {
        if (['IMG', 'SCRIPT', 'IFRAME', 'SVG', 'B', 'U'].includes(el.tagName.toUpperCase())) hits.push(el.outerHTML.slice(0, 80));
        for (const a of el.attributes) if (/^on/i.test(a.name)) hits.push(`${el.tagName} ${a.name}`);
      }
      return hits;
    });
    assert.deepEqual(found, []);
    assert.equal(p.dialogs.length, 0);
  });

  it('the buttons post well-formed requests; a run disables them and switches to the Analysis tab', async () => {
    const p = await open();
    await p.send(snapshot());
    await p.page.click('#side-tab-analysis');
    await p.page.selectOption('#am-transport', 'sse');
    await p.page.click('#am-run');
    assert.deepEqual(await p.waitPosted('RunAuthMatrixRequest'), { type: 'RunAuthMatrixRequest', transport: 'sse' });
    await p.page.selectOption('#cmp-seconds', '10');
    await p.page.click('#cmp-run');
    assert.deepEqual(await p.waitPosted('CompareTransportsRequest'), { type: 'CompareTransportsRequest', seconds: 10 });

    // The host says a run started (from a command, say): the tab follows, the buttons wait.
    await p.page.click('#side-tab-hints');
    await p.send({ type: 'DidChangeAnalysisState', running: { kind: 'compare', title: 'Transport comparison: all four transports on the demo server, 10 s' } });
    await p.page.waitForFunction(() => document.getElementById('side-tab-analysis')?.getAttribute('aria-selected') === 'true');
    assert.match(await p.text('#analysis-status'), /Transport comparison: all four transports on the demo server, 10 s…/);
    assert.equal(await p.page.locator('#side-tab-analysis .codicon-loading').isVisible(), true);
    assert.equal(await p.page.evaluate(() => (document.getElementById('am-run') as HTMLButtonElement).disabled && (document.getElementById('cmp-run') as HTMLButtonElement).disabled), true);
    await p.page.evaluate(() => {
      document.getElementById('am-run')!.click();
      document.getElementById('cmp-run')!.click();
    });
    await p.send({ type: 'DidChangeAnalysisState', running: null });
    await p.page.waitForFunction(() => !(document.getElementById('am-run') as HTMLButtonElement).disabled);
    assert.equal(await p.count('RunAuthMatrixRequest'), 1, 'nothing posted while running');
    assert.equal(await p.count('CompareTransportsRequest'), 1);
    assert.equal(await p.text('#analysis-status'), '');

    // Against the connection bar's endpoint: its URL, transport and typed token.
    await p.page.selectOption('#am-target', 'form');
    assert.equal(await p.page.locator('#am-transport').isHidden(), true, 'the connection bar names the transport');
    await p.page.click('#am-run');
    await p.page.locator('#analysis-error').waitFor({ state: 'visible' });
    assert.match(await p.text('#analysis-error'), /Type the endpoint URL in the connection bar/);
    await p.page.locator('#url input').fill('http://127.0.0.1:9/auth/{method}/sse');
    await p.page.click('#am-run');
    await p.page.waitForFunction(() => /Pick the transport/.test(document.getElementById('analysis-error')?.textContent ?? ''));
    await p.page.selectOption('#transport', 'sse');
    await p.page.locator('#setup .collapsible-header').click();
    await p.page.selectOption('#auth-method', 'bearer');
    await p.page.locator('#auth-token input').fill('typed-token-123');
    await p.page.click('#am-run');
    const req = await p.waitPosted('RunAuthMatrixRequest', 2);
    assert.deepEqual(req, { type: 'RunAuthMatrixRequest', transport: 'sse', url: 'http://127.0.0.1:9/auth/{method}/sse', token: 'typed-token-123' });
    assert.equal(await p.page.locator('#analysis-error').isHidden(), true);
    // Token endpoint auth: its URL, no static token.
    await p.page.selectOption('#auth-method', 'token-url');
    await p.page.locator('#auth-token-url input').fill('http://127.0.0.1:9/token');
    await p.page.click('#am-run');
    assert.deepEqual(await p.waitPosted('RunAuthMatrixRequest', 3), { type: 'RunAuthMatrixRequest', transport: 'sse', url: 'http://127.0.0.1:9/auth/{method}/sse', tokenUrl: 'http://127.0.0.1:9/token' });
    for (const m of await p.posted()) assert.ok(isFromWebview(m), JSON.stringify(m));

    // The choices are view state; the token is not.
    await p.page.waitForFunction(() => JSON.stringify((window as unknown as { __getState(): unknown }).__getState() ?? {}).includes('"target":"form"'));
    const saved = JSON.stringify(await p.page.evaluate(() => (window as unknown as { __getState(): unknown }).__getState()));
    assert.match(saved, /"analysis":\{"target":"form","transport":"sse","seconds":10\}/);
    assert.match(saved, /"sideTab":"analysis"/);
    assert.ok(!saved.includes('typed-token-123'));
  });

  it('restores the Analysis tab and choices from view state', async () => {
    const p = await open({ state: { v: 1, sideTab: 'analysis', analysis: { target: 'demo', transport: 'long-poll', seconds: 3 } } });
    assert.equal(await p.page.getAttribute('#side-tab-analysis', 'aria-selected'), 'true');
    assert.equal(await p.page.inputValue('#am-transport'), 'long-poll');
    assert.equal(await p.page.inputValue('#cmp-seconds'), '3');
    await p.page.click('#am-run');
    assert.deepEqual(await p.waitPosted('RunAuthMatrixRequest'), { type: 'RunAuthMatrixRequest', transport: 'long-poll' });
    // Arrow keys move between the tabs.
    await p.page.focus('#side-tab-analysis');
    await p.page.keyboard.press('ArrowLeft');
    assert.equal(await p.page.getAttribute('#side-tab-hints', 'aria-selected'), 'true');
    assert.equal(await p.page.locator('#hints-list').isVisible(), true);
  });

  it('drops malformed analysis messages with a reason and keeps the rows that fit', async () => {
    const p = await open();
    await p.send(snapshot());
    for (const bad of [
      { type: 'DidRunAuthMatrix', transport: 'carrier-pigeon', url: 'x', rows: [] },
      { type: 'DidRunAuthMatrix', transport: 'ws', url: 'x', rows: 'nope' },
      { type: 'DidCompareTransports', result: { rows: 7 } },
      { type: 'DidChangeAnalysisState', running: { kind: 'launch' } },
    ]) {
      await p.send(bad);
    }
    await p.page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.filter((m) => m.type === 'DidFailInWebview').length >= 4);
    const reports = JSON.stringify((await p.posted()).filter((m) => m.type === 'DidFailInWebview'));
    assert.match(reports, /DidRunAuthMatrix: transport is not a transport/);
    assert.match(reports, /DidRunAuthMatrix: rows is not an array/);
    assert.match(reports, /DidCompareTransports: result.rows is not an array/);
    assert.match(reports, /DidChangeAnalysisState: running is neither null nor a run/);
    // A bad row among good ones: skipped, reported, the rest shown.
    await p.send({ type: 'DidRunAuthMatrix', ...AUTH_MATRIX_WS, rows: [...AUTH_MATRIX_WS.rows, { placement: 'telepathy', outcome: 'accepted' }] });
    await p.page.click('#side-tab-analysis');
    await p.page.locator('#auth-matrix-table').waitFor();
    assert.equal(await p.page.locator('#auth-matrix-table tbody tr').count(), AUTH_MATRIX_WS.rows.length);
    await p.page.waitForFunction(() => JSON.stringify((window as unknown as { __posted: unknown[] }).__posted).includes('Skipped 1 malformed row(s) in DidRunAuthMatrix'));
  });

  // Written to test-results/ (git-ignored); copy it to docs/images/analysis.png when the view changes.
  it('screenshot of the Analysis view with real results, maximized', async () => {
    const p = await open({ width: 1280, height: 1200 });
    const events = wsEvents(40);
    await p.send(snapshot({ sessions: [{ ...WS_SESSION, total: events.length }], activeSessionId: WS_SESSION.id, rows: rowsOf(events), stats: STATS, hints: HINTS, demoUrl: 'http://127.0.0.1:41234', defaults: { url: 'ws://127.0.0.1:41234/ws', transport: 'ws', auth: { method: 'none' } } }));
    await p.send({ type: 'DidRunAuthMatrix', ...AUTH_MATRIX_WS });
    await p.send({ type: 'DidCompareTransports', result: COMPARISON });
    await p.page.click('#side-tab-analysis');
    await p.page.click('#side-expand');
    await p.page.locator('#comparison-table').waitFor();
    await p.page.evaluate(() => document.fonts.ready);
    await frames(p);
    await frames(p);
    const dir = join(__dirname, '..', '..', 'test-results');
    await mkdir(dir, { recursive: true });
    await p.page.screenshot({ path: join(dir, 'analysis.png') });
    // Maximized: the pane has most of the height and the composer's width.
    const box = await p.page.evaluate(() => ({ share: document.getElementById('side')!.getBoundingClientRect().height / window.innerHeight, width: document.getElementById('side')!.getBoundingClientRect().width }));
    assert.ok(box.share > 0.55, `height share ${box.share}`);
    assert.ok(box.width > 1200, `width ${box.width}`);
    assert.equal(await p.page.getAttribute('#side-expand', 'aria-pressed'), 'true');
    // And back.
    await p.page.click('#side-expand');
    await p.page.waitForFunction(() => document.getElementById('side')!.getBoundingClientRect().width < 1000);
    assert.equal(await p.page.getAttribute('#side-expand', 'aria-label'), 'Maximize Hints and Analysis');
  });
});
