/**
 * The inspector webview bundle in real headless Chromium, inside a page with the panel's CSP.
 * Run: node --import tsx --test test/webview/webview.test.ts
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isFromWebview, type EventRow } from '../../src/shared/protocol';
import { appendRows, HINTS, jsonOf, mixedRows, rowsOf, snapshot, SSE_IMPORT, STATS, WS_SESSION, wsEvents } from './fixtures';
import { usePanels, type Panel } from './harness';

const S = WS_SESSION;
const open = usePanels();

/** Visible log rows: seq and y offset inside the scroll content. */
async function visibleRows(p: Panel): Promise<Array<{ seq: number; y: number; text: string }>> {
  // From layout boxes: serialized transforms round to 6 significant digits.
  return p.page.evaluate(() => {
    const vp = document.getElementById('log')!;
    const base = vp.getBoundingClientRect().top - vp.scrollTop;
    return [...vp.querySelectorAll<HTMLElement>('.row:not([hidden])')]
      .map((el) => ({ seq: Number(el.dataset.seq), y: el.getBoundingClientRect().top - base, text: el.textContent ?? '' }))
      .sort((a, b) => a.y - b.y);
  });
}

/** Scrolls the log to its top (the panel may be too short to show every row) and lets it render. */
async function scrollLogToTop(p: Panel): Promise<void> {
  await p.page.evaluate(() => (document.getElementById('log')!.scrollTop = 0));
  await frames(p);
}

/** Waits until the rendering loop has run (two animation frames). */
async function frames(p: Panel): Promise<void> {
  await p.page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

describe('inspector webview', () => {
  it('posts Ready first, before anything else, and it passes the host guard', async () => {
    const p = await open();
    const posted = await p.posted();
    assert.equal(posted[0].type, 'Ready');
    assert.equal(posted.length, 1, `only Ready before the host answers, got ${JSON.stringify(posted)}`);
    assert.ok(isFromWebview(posted[0]));
  });

  it('renders a Snapshot: rows, state badge, stats and hints', async () => {
    const p = await open();
    const events = wsEvents(12);
    await p.send(snapshot({ sessions: [{ ...S, total: events.length }], activeSessionId: S.id, rows: rowsOf(events), stats: STATS, hints: HINTS }));
    await p.page.waitForFunction((n) => document.getElementById('log-count')?.textContent === `${n} rows`, events.length);
    await scrollLogToTop(p);
    const rows = await visibleRows(p);
    assert.equal(rows[0].seq, 0);
    assert.match(rows[0].text, /session/);
    assert.ok(rows.some((r) => r.text.includes('{"seq":1,')), 'a tick message row is visible');
    assert.match(await p.text('#state-badge'), /open · WebSocket/);
    assert.match(await p.text('#stats'), /1,842 msg/);
    assert.match(await p.text('#stats'), /p50\/p95500 ms \/ 504 ms/);
    assert.equal(await p.page.locator('#hints-list .hint').count(), 3);
    assert.equal(await p.text('#hints-count'), '3');
    // Risk first, with its numbers and advice.
    assert.match(await p.text('#hints-list .hint >> nth=0'), /token travels in the URL.*carrier: query parameter access_token.*Why:.*Try:/s);
    // One session: no session picker.
    assert.equal(await p.page.locator('#sessions').isHidden(), true);
  });

  it('a session opened by a command fills the empty form with its URL and transport, but never a masked URL', async () => {
    const p = await open();
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id, defaults: {} }));
    assert.equal(await p.page.inputValue('#url input'), S.url);
    assert.equal(await p.page.inputValue('#transport'), 'ws');
    await p.assertClean();
    await p.page.close();
    const q = await open();
    const masked = { ...S, id: 'ws-2', url: 'ws://127.0.0.1:41234/ws?access_token=«redacted …4a60»' };
    await q.send(snapshot({ sessions: [masked], activeSessionId: masked.id, defaults: {} }));
    assert.equal(await q.page.inputValue('#url input'), '');
  });

  it('a few rows appended while following keep the other rows in their elements; aria-posinset/setsize give the order', async () => {
    const p = await open();
    const row = (seq: number): EventRow => ({ seq, t: seq * 10, type: 'message', dir: 'in', size: 5, label: 'text', preview: `row ${seq}` });
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id, rows: Array.from({ length: 200 }, (_, i) => row(i)) }));
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '200 rows');
    await frames(p);
    const shown = (): Promise<Array<{ seq: number; id: string; pos: number; size: string; preview: string }>> =>
      p.page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('#log .row:not([hidden])')].map((el) => ({
          seq: Number(el.dataset.seq),
          id: el.id,
          pos: Number(el.getAttribute('aria-posinset')),
          size: el.getAttribute('aria-setsize') ?? '',
          preview: el.querySelector('.c-preview')?.textContent ?? '',
        })),
      );
    const before = await shown();
    assert.ok(before.some((r) => r.seq === 199), 'following: the newest row is shown');
    for (const r of before) {
      assert.equal(r.pos, r.seq + 1);
      assert.equal(r.size, '200');
      assert.equal(r.preview, `row ${r.seq}`);
    }
    await p.send(appendRows(S.id, [row(200), row(201)], { total: 202, dropped: 0, stats: STATS }));
    await p.page.waitForFunction(() => document.querySelector('#log .row[data-seq="201"]:not([hidden])') !== null);
    await frames(p);
    const after = await shown();
    assert.ok(after.some((r) => r.seq === 201), 'still following');
    const kept = after.filter((r) => before.some((b) => b.seq === r.seq));
    assert.ok(kept.length >= after.length - 4, `rows shown before and after: ${kept.length} of ${after.length}`);
    for (const r of kept) assert.equal(r.id, before.find((b) => b.seq === r.seq)!.id, `row ${r.seq} kept its element`);
    for (const r of after) {
      assert.equal(r.pos, r.seq + 1);
      assert.equal(r.size, '202');
      assert.equal(r.preview, `row ${r.seq}`);
    }
    await p.assertClean();
  });

  it('keeps 100,000 rows virtualized: small DOM, right rows in the middle, follow/pause, cap counter', async () => {
    const p = await open();
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id, settings: { logCap: 100_000, revealSecrets: false } }));
    // 20 batches of 5,000 rows, built in the page and posted like the host does.
    await p.page.evaluate((sessionId) => {
      const stats = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, rateIn: 0, byteRateIn: 0, overheadPerMessage: 0, polls: 0, uselessPolls: 0, reconnects: 0, errors: 0 };
      for (let b = 0; b < 20; b++) {
        const rows = { seq: [] as number[], t: [] as number[], type: [] as string[], dir: [] as string[], size: [] as number[], label: [] as string[], preview: [] as string[], ids: [], errors: [] };
        for (let i = b * 5000; i < (b + 1) * 5000; i++) {
          rows.seq.push(i);
          rows.t.push(i * 0.5);
          rows.type.push('message');
          rows.dir.push('in');
          rows.size.push(40);
          rows.label.push('text');
          rows.preview.push(`{"seq":${i},"kind":"tick"}`);
        }
        window.postMessage({ type: 'DidAppendRows', sessionId, rows, total: (b + 1) * 5000, dropped: 0, stats }, '*');
      }
    }, S.id);
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '100,000 rows');
    await frames(p);

    const nodes = await p.page.evaluate(() => {
      let elements = 0;
      let all = 0;
      const walk = (n: Node): void => {
        all++;
        if (n.nodeType === Node.ELEMENT_NODE) elements++;
        const sr = (n as Element).shadowRoot;
        if (sr) walk(sr);
        for (const c of n.childNodes) walk(c);
      };
      walk(document);
      return { elements, all, rows: document.querySelectorAll('#log .row').length };
    });
    assert.ok(nodes.all < 1500, `DOM nodes (shadow roots and text included): ${nodes.all}`);
    assert.ok(nodes.rows < 80, `row elements: ${nodes.rows}`);

    // Following: the newest row is visible at the bottom.
    let rows = await visibleRows(p);
    assert.equal(rows[rows.length - 1].seq, 99_999);
    assert.equal(await p.page.locator('#log-jump').isHidden(), true);

    // Scroll to the middle: the rows there are the ones at that offset.
    const top = await p.page.evaluate(() => {
      const vp = document.getElementById('log')!;
      vp.scrollTop = Math.round((vp.scrollHeight - vp.clientHeight) / 2);
      return vp.scrollTop;
    });
    await frames(p);
    rows = await visibleRows(p);
    const firstVisible = rows.find((r) => r.y >= top - 0.5)!;
    assert.equal(firstVisible.seq, Math.ceil(top / 22), `first fully visible row at scrollTop ${top}`);
    assert.ok(rows.every((r) => Math.abs(r.seq * 22 - r.y) < 0.5), 'every row sits at seq × row height');
    assert.ok(rows.length < 60);

    // Scrolling up paused auto-scroll: new rows do not move the view; the jump button shows.
    await p.page.locator('#log-jump').waitFor({ state: 'visible' });
    await p.send(appendRows(S.id, [{ seq: 100_000, t: 50_000, type: 'message', dir: 'in', size: 3, label: 'text', preview: 'new' }], { total: 100_001, dropped: 1, stats: STATS }));
    await p.page.waitForFunction(() => document.getElementById('log-dropped')?.textContent === '1 dropped by the cap');
    await frames(p);
    assert.equal(await p.page.evaluate(() => document.getElementById('log')!.scrollTop), top);
    assert.equal(await p.text('#log-count'), '100,000 rows', 'the cap keeps the row count');

    // Jump to latest resumes following.
    await p.page.click('#log-jump');
    await frames(p);
    rows = await visibleRows(p);
    assert.equal(rows[rows.length - 1].seq, 100_000);
    assert.equal(await p.page.locator('#log-jump').isHidden(), true);
    // The oldest row went with the cap.
    await p.page.focus('#log');
    await p.page.keyboard.press('Home');
    await frames(p);
    rows = await visibleRows(p);
    assert.equal(rows[0].seq, 1);
  });

  it('filters by text, /regex/, direction and kind; an invalid regex is an inline error', async () => {
    const p = await open();
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id, rows: mixedRows(200) }));
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '200 rows');

    await p.page.locator('#filter-text input').fill('HELLO');
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '50 of 200 rows');
    await frames(p);
    let rows = await visibleRows(p);
    assert.ok(rows.length > 0 && rows.every((r) => r.text.includes('hello')));

    await p.page.locator('#filter-text input').fill('/^hello 1\\d$/');
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '2 of 200 rows');
    await frames(p);
    rows = await visibleRows(p);
    assert.deepEqual(
      rows.map((r) => r.seq),
      [13, 17],
    );

    await p.page.locator('#filter-text input').fill('/(unclosed/');
    await p.page.locator('#filter-error').waitFor({ state: 'visible' });
    assert.match(await p.text('#filter-error'), /Invalid regular expression/);
    assert.equal(await p.text('#log-count'), '200 rows', 'the broken text filter is not applied');

    await p.page.locator('#filter-text input').fill('');
    await p.page.selectOption('#filter-dir', 'out');
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '50 of 200 rows');
    await frames(p);
    rows = await visibleRows(p);
    assert.ok(rows.every((r) => r.seq % 4 === 1));

    await p.page.selectOption('#filter-dir', 'all');
    await p.page.click('#filter-kind-errors');
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '10 of 200 rows');
    await frames(p);
    rows = await visibleRows(p);
    assert.ok(rows.every((r) => r.seq % 20 === 3));
    await p.page.click('#filter-kind-http');
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '60 of 200 rows');

    // Filters are view state: persisted.
    await p.page.waitForFunction(() => JSON.stringify((window as unknown as { __getState(): unknown }).__getState() ?? {}).includes('"kinds":["http","errors"]'));
  });

  it('selecting a row asks for the detail; Text, JSON, Hex, Headers and Timing views render it', async () => {
    const p = await open();
    const events = wsEvents(12);
    const json = jsonOf(events);
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id, rows: rowsOf(events), stats: STATS }));
    await p.page.waitForFunction((n) => document.getElementById('log-count')?.textContent === `${n} rows`, events.length);
    // Pick the first incoming tick message.
    const tick = json.find((e) => e.type === 'message' && e.direction === 'in' && typeof e.data === 'string' && e.data.startsWith('{"seq":1,'))!;
    await scrollLogToTop(p);
    await p.page.click('.row[data-seq="0"]');
    await p.page.click(`.row[data-seq="${tick.seq}"]`);
    const req = await p.waitPosted('DetailRequest', 1, `"seq":${tick.seq}`);
    assert.deepEqual(req, { type: 'DetailRequest', sessionId: S.id, seq: tick.seq });
    await p.page.locator('#detail-body .loading').waitFor();

    const upgrade = json.filter((e) => e.type === 'request' || e.type === 'response' || e.type === 'timing');
    await p.send({ type: 'DidLoadDetail', sessionId: S.id, seq: tick.seq, event: tick, related: upgrade });
    await p.page.locator('#detail-body pre.text-view').waitFor();
    assert.equal(await p.text('#detail-body pre.text-view'), (tick as { data: string }).data);

    await p.page.click('#detail-tab-json');
    await p.page.locator('#detail-body .json-tree').first().waitFor();
    const tree = await p.text('#detail-body .json-tree >> nth=0');
    assert.match(tree, /seq: ?1/);
    assert.match(tree, /kind: ?"tick"/);
    assert.match(await p.text('#detail-body'), /Event fields/);

    await p.page.click('#detail-tab-hex');
    await p.page.locator('#detail-body .hex-off').waitFor();
    assert.match(await p.text('#detail-body .hex-off'), /^00000000\n00000010/);
    assert.match(await p.text('#detail-body .hex-bytes'), /^7b 22 73 65 71 22 3a 31/);
    assert.match(await p.text('#detail-body .hex-ascii'), /^\{"seq":1,/);

    await p.page.click('#detail-tab-headers');
    await p.page.locator('#detail-body table.kv').first().waitFor();
    assert.match(await p.text('#detail-body'), /GET ws:\/\/127\.0\.0\.1:41234\/ws\?access_token=\*\*\*/);
    assert.match(await p.text('#detail-body'), /HTTP\/1\.1 101 Switching Protocols/);
    assert.match(await p.text('#detail-body'), /Sec-WebSocket-Accept/);

    await p.page.click('#detail-tab-timing');
    await p.page.locator('#detail-body .waterfall').waitFor();
    const phases = await p.page.locator('#detail-body .wf-label').allTextContents();
    assert.deepEqual(phases, ['DNS lookup', 'TCP connect', 'Upgrade (to 101)', 'After upgrade', 'Total']);
    // Bars are proportional: DNS 0.31 of 3.96 ms.
    const dnsWidth = await p.page.locator('#detail-body .wf-dns').evaluate((el) => el.getBoundingClientRect().width / el.parentElement!.getBoundingClientRect().width);
    assert.ok(Math.abs(dnsWidth - 0.31 / 3.96) < 0.02, `dns bar ${dnsWidth}`);

    // Keyboard: down moves the selection and asks for the next event.
    await p.page.focus('#log');
    await p.page.keyboard.press('ArrowDown');
    const next = await p.waitPosted('DetailRequest', 1, `"seq":${tick.seq + 1}`);
    assert.equal(next.seq, tick.seq + 1);
    assert.equal(await p.page.getAttribute(`.row[data-seq="${tick.seq + 1}"]`, 'aria-selected'), 'true');
    // An answer for a row that is no longer selected is ignored.
    await p.send({ type: 'DidLoadDetail', sessionId: S.id, seq: tick.seq, event: tick, related: [] });
    await p.page.click('#detail-tab-text');
    await p.send({ type: 'DidLoadDetail', sessionId: S.id, seq: tick.seq + 1, event: json[tick.seq + 1], related: [] });
    await p.page.waitForFunction((s) => document.getElementById('detail-title')?.textContent?.startsWith(`#${s}`), tick.seq + 1);
  });

  it('renders big binary payloads in hex lazily and says where it stops', async () => {
    const p = await open();
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id, rows: [{ seq: 0, t: 0, type: 'message', dir: 'in', size: 102_400, label: 'binary', preview: '00 01 02 …' }] }));
    await p.page.click('.row[data-seq="0"]');
    await p.waitPosted('DetailRequest');
    await p.page.click('#detail-tab-hex');
    await p.page.evaluate(() => {
      const bytes = new Uint8Array(102_400);
      for (let i = 0; i < bytes.length; i++) bytes[i] = i & 255;
      let bin = '';
      for (const b of bytes) bin += String.fromCharCode(b);
      window.postMessage({ type: 'DidLoadDetail', sessionId: 'ws-1', seq: 0, event: { type: 'message', seq: 0, t: 0, direction: 'in', size: bytes.length, binary: true, opcode: 2, data: btoa(bin), encoding: 'base64' }, related: [] }, '*');
    });
    await p.page.locator('#hex-note').waitFor();
    assert.match(await p.text('#hex-note'), /Showing the first 65,536 of 102,400 bytes/);
    const lines = (): Promise<number> => p.page.evaluate(() => [...document.querySelectorAll('#detail-body .hex-off')].reduce((n, el) => n + (el.textContent ?? '').split('\n').length, 0));
    assert.equal(await lines(), 256, 'the first chunk only');
    assert.match(await p.text('#detail-body .hex-bytes'), /^00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f/);
    // Scrolling to the end generates the next chunk.
    await p.page.evaluate(() => {
      const b = document.getElementById('detail-body')!;
      b.scrollTop = b.scrollHeight;
    });
    await p.page.waitForFunction(() => [...document.querySelectorAll('#detail-body .hex-off')].length >= 2);
    assert.ok((await lines()) >= 512);
  });

  it('shows hostile payloads, headers and errors as inert text', async () => {
    const p = await open();
    const evil = '<img src=x onerror=alert(1)>\u001b[31mred\u001b[0m \u202Egnp.exe <script>alert(2)</script>';
    const row: EventRow = { seq: 0, t: 0, type: 'message', dir: 'in', size: evil.length, label: '<b>x</b>', preview: evil, id: '\u202Eevil' };
    await p.send(
      snapshot({
        sessions: [{ ...S, name: '<img src=x onerror=alert(3)>' }, { ...SSE_IMPORT, name: '\u202Eevil<svg onload=alert(4)>' }],
        activeSessionId: S.id,
        rows: [row],
        hints: [{ ...HINTS[0], message: '<img src=x onerror=alert(5)>', why: '<iframe src=javascript:alert(6)>', numbers: { '<i>k</i>': '<u>v</u>' } }],
      }),
    );
    await p.send({ type: 'DidFail', message: '<img src=x onerror=alert(7)> failed \u001b[2J' });
    await p.page.locator('.row[data-seq="0"]').waitFor();
    const rowText = await p.text('.row[data-seq="0"] .c-preview');
    assert.equal(rowText, '<img src=x onerror=alert(1)>·[31mred·[0m ·gnp.exe <script>alert(2)</script>');

    await p.page.click('.row[data-seq="0"]');
    await p.waitPosted('DetailRequest');
    await p.send({
      type: 'DidLoadDetail',
      sessionId: S.id,
      seq: 0,
      event: { type: 'message', seq: 0, t: 0, direction: 'in', size: evil.length, binary: false, data: evil, opcode: 1 },
      related: [{ type: 'response', seq: 1, t: 0, requestId: 1, status: 200, statusText: '<img src=x onerror=alert(8)>', httpVersion: '1.1', headers: [['X-Evil', '<img src=x onerror=alert(9)>\u202E']], headerBytes: 10 }],
    });
    await p.page.locator('#detail-body pre.text-view').waitFor();
    const text = await p.text('#detail-body pre.text-view');
    assert.equal(text, '<img src=x onerror=alert(1)>␛[31mred␛[0m ⟨RLO⟩gnp.exe <script>alert(2)</script>');
    await p.page.click('#detail-tab-json');
    await p.page.locator('#json-not-json').waitFor();
    await p.page.click('#detail-tab-headers');
    await p.page.locator('#detail-body table.kv').waitFor();
    assert.match(await p.text('#detail-body table.kv'), /<img src=x onerror=alert\(9\)>⟨RLO⟩/);

    const found = await p.page.evaluate(() => {
      const hits: string[] = [];
      const walk = (root: Document | ShadowRoot): void => {
        for (const el of root.querySelectorAll('*')) {
          // Shadow roots of the vscode-elements controls legitimately hold an <svg> chevron.
          const tags = root === document ? ['IMG', 'SCRIPT', 'IFRAME', 'SVG', 'B', 'I', 'U'] : ['IMG', 'SCRIPT', 'IFRAME', 'B', 'I', 'U'];
          if (tags.includes(el.tagName.toUpperCase()) && !(el.tagName === 'SCRIPT' && el.getAttribute('src') === '/webview/main.js')) hits.push(el.outerHTML.slice(0, 80));
          for (const a of el.attributes) if (/^on/i.test(a.name)) hits.push(`${el.tagName} ${a.name}`);
          if (el.shadowRoot) walk(el.shadowRoot);
        }
      };
      walk(document);
      return hits;
    });
    assert.deepEqual(found, []);
    assert.match(await p.text('#banners'), /<img src=x onerror=alert\(7\)> failed ␛\[2J/);
    assert.match(await p.text('#sessions'), /⟨RLO⟩|·evil|\u202Eevil/);
    assert.equal(p.dialogs.length, 0);
  });

  it('posts a well-formed ConnectRequest from the form; tokens stay out of the saved state', async () => {
    const p = await open();
    await p.send(snapshot());
    // Empty URL: an inline error, nothing posted.
    await p.page.click('#connect');
    await p.page.locator('#form-errors').waitFor({ state: 'visible' });
    assert.match(await p.text('#form-errors'), /The URL is empty/);
    assert.equal(await p.count('ConnectRequest'), 0);

    await p.page.locator('#url input').fill('ws://127.0.0.1:9/socket');
    await p.page.selectOption('#transport', 'ws');
    await p.page.locator('#setup .collapsible-header').click();
    await p.page.click('#add-header');
    await p.page.locator('#header-name-0 input').fill('X-Trace');
    await p.page.locator('#header-value-0 input').fill('abc');
    await p.page.selectOption('#auth-method', 'bearer');
    await p.page.locator('#auth-token input').fill('s3cret-token');
    await p.page.locator('#opt-timeout input').fill('5000');
    await p.page.locator('#opt-subprotocols input').fill('v1.chat, json');
    await p.page.click('#opt-reconnect');
    assert.equal(await p.page.locator('#insecure-warning').isHidden(), true);
    await p.page.click('#opt-insecure');
    await p.page.locator('#insecure-warning').waitFor({ state: 'visible' });
    assert.match(await p.text('#insecure-warning'), /Certificate checks are off/);
    await p.page.click('#connect');
    const msg = await p.waitPosted('ConnectRequest');
    assert.ok(isFromWebview(msg), 'the host guard accepts it');
    assert.deepEqual(msg.config, {
      url: 'ws://127.0.0.1:9/socket',
      transport: 'ws',
      headers: [['X-Trace', 'abc']],
      auth: { method: 'bearer', token: 's3cret-token' },
      subprotocols: ['v1.chat', 'json'],
      timeoutMs: 5000,
      reconnect: true,
      insecure: true,
    });
    assert.equal(await p.page.locator('#form-errors').isHidden(), true);

    // Token-endpoint auth shows its own fields; its body is a secret too.
    await p.page.selectOption('#auth-method', 'token-url');
    await p.page.locator('#auth-token-url input').fill('http://127.0.0.1:9/token');
    await p.page.locator('#auth-token-body').fill('{"client_secret":"body-secret"}');
    await p.page.selectOption('#auth-placement', 'subprotocol');
    await p.page.click('#connect');
    const msg2 = await p.waitPosted('ConnectRequest', 2);
    assert.ok(isFromWebview(msg2));
    assert.deepEqual(msg2.config.auth, { method: 'token-url', tokenUrl: 'http://127.0.0.1:9/token', httpMethod: 'POST', placement: 'subprotocol', body: '{"client_secret":"body-secret"}', tokenPath: 'access_token' });

    await p.page.waitForFunction(() => JSON.stringify((window as unknown as { __getState(): unknown }).__getState() ?? {}).includes('token-url'));
    const saved = JSON.stringify(await p.page.evaluate(() => (window as unknown as { __getState(): unknown }).__getState()));
    assert.ok(saved.includes('ws://127.0.0.1:9/socket'), 'the URL is kept');
    assert.ok(!saved.includes('s3cret-token') && !saved.includes('body-secret'), `no secret in view state: ${saved}`);

    // The demo buttons ask the host, whose Snapshot then fills the form.
    await p.page.click('#demo-sse');
    assert.deepEqual(await p.waitPosted('UseDemoRequest'), { type: 'UseDemoRequest', transport: 'sse' });
    await p.send(snapshot({ demoUrl: 'http://127.0.0.1:41234', defaults: { url: 'http://127.0.0.1:41234/sse', transport: 'sse', sendUrl: 'http://127.0.0.1:41234/send', auth: { method: 'none' } } }));
    await p.page.waitForFunction(() => (document.getElementById('url') as HTMLInputElement).value === 'http://127.0.0.1:41234/sse');
    assert.equal(await p.page.inputValue('#transport'), 'sse');
    assert.match(await p.text('#demo-note'), /running at http:\/\/127\.0\.0\.1:41234/);
  });

  it('restores view state (form, filters, composer) but never a token', async () => {
    const state = {
      v: 1,
      form: { url: 'http://127.0.0.1:9/poll', transport: 'poll', headers: [['Authorization', '']], authMethod: 'query', queryParam: 'key', intervalMs: '250' },
      setupOpen: true,
      filter: { dir: 'in', kinds: ['messages'], text: 'tick' },
      composer: { format: 'json', draft: '{"a":1}', saved: [{ name: 'hi', format: 'text', data: 'hi' }] },
      detailTab: 'hex',
    };
    const p = await open({ state });
    assert.equal(await p.page.evaluate(() => (document.getElementById('url') as HTMLInputElement).value), 'http://127.0.0.1:9/poll');
    assert.equal(await p.page.inputValue('#transport'), 'poll');
    assert.equal(await p.page.inputValue('#filter-dir'), 'in');
    assert.equal(await p.page.getAttribute('#filter-kind-messages', 'aria-pressed'), 'true');
    assert.equal(await p.page.inputValue('#composer-format'), 'json');
    assert.equal(await p.page.getAttribute('#detail-tab-hex', 'aria-selected'), 'true');
    assert.equal(await p.page.evaluate(() => (document.getElementById('auth-token') as HTMLInputElement).value), '');
    assert.equal(await p.page.locator('#composer-saved option').count(), 2);
  });

  it('composer: validates, sends, pings, saves; HTTP transports say send is an HTTP POST; read-only sessions are marked', async () => {
    const p = await open();
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id }));
    await p.page.waitForFunction(() => !(document.getElementById('composer-send') as HTMLButtonElement).disabled);
    await p.page.selectOption('#composer-format', 'json');
    await p.page.locator('#composer-input').fill('{"type":');
    await p.page.locator('#composer-error').waitFor({ state: 'visible' });
    assert.match(await p.text('#composer-error'), /Not valid JSON/);
    await p.page.click('#composer-send');
    await p.page.locator('#composer-input').fill('{"type":"hello"}');
    await p.page.locator('#composer-error').waitFor({ state: 'hidden' });
    await p.page.click('#composer-send');
    assert.deepEqual(await p.waitPosted('SendRequest'), { type: 'SendRequest', sessionId: S.id, data: '{"type":"hello"}', format: 'json' });
    assert.equal(await p.count('SendRequest'), 1, 'the invalid draft was not sent');
    await p.page.click('#composer-ping');
    assert.deepEqual(await p.waitPosted('PingRequest'), { type: 'PingRequest', sessionId: S.id });
    await p.page.click('#composer-save');
    assert.equal(await p.page.locator('#composer-saved option').count(), 2);

    await p.send({ type: 'DidChangeSession', session: { ...S, id: 'sse-3', transport: 'sse', name: 'sse demo' } });
    await p.page.locator('#sessions').waitFor({ state: 'visible' });
    await p.page.click('[data-session="sse-3"]');
    assert.deepEqual(await p.waitPosted('SelectSessionRequest'), { type: 'SelectSessionRequest', sessionId: 'sse-3' });
    await p.page.waitForFunction(() => /HTTP POST/.test(document.getElementById('composer-note')?.textContent ?? ''));
    assert.equal(await p.page.locator('#composer-ping').isHidden(), true);

    // Read-only (imported) sessions are marked; nothing can be sent or disconnected on them.
    await p.send(snapshot({ sessions: [S, SSE_IMPORT], activeSessionId: SSE_IMPORT.id, rows: mixedRows(5) }));
    await p.page.waitForFunction(() => /read-only/.test(document.getElementById('state-badge')?.textContent ?? ''));
    assert.match(await p.text(`[data-session="${SSE_IMPORT.id}"]`), /read-only/);
    assert.equal(await p.page.evaluate(() => (document.getElementById('composer-send') as HTMLButtonElement).disabled), true);
    assert.equal(await p.page.evaluate(() => (document.getElementById('disconnect') as HTMLButtonElement).disabled), true);
    assert.match(await p.text('#composer-note'), /read-only/);
  });

  it('ignores malformed host messages, shows DidFail as a dismissible banner, keeps working', async () => {
    const p = await open();
    for (const bad of [null, 'Snapshot', 42, { type: 'Bogus' }, { type: 'Snapshot' }, { type: 'DidAppendRows', sessionId: S.id, rows: 'nope', total: 1, dropped: 0, stats: STATS }, { type: 'DidLoadDetail', sessionId: S.id, seq: 'x' }, { type: 'DidFail', message: 7 }]) await p.send(bad);
    await p.page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.filter((m) => m.type === 'DidFailInWebview').length >= 8);
    const reports = (await p.posted()).filter((m) => m.type === 'DidFailInWebview');
    assert.match(JSON.stringify(reports), /DidAppendRows: rows are not columns of equal length/);
    // Rows that do not fit are skipped, the rest of the batch is kept.
    await p.send(snapshot({ sessions: [S], activeSessionId: S.id, rows: [...mixedRows(3), { seq: 'bad' } as unknown as EventRow] }));
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '3 rows');
    await p.send(appendRows(S.id, [{ seq: 3, t: 9, type: 'message', dir: 'in', size: 1, label: 'text', preview: 'ok' }], { total: 4, dropped: 0, stats: STATS }));
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '4 rows');

    // DidFail: an inline banner that can be dismissed; the panel keeps running.
    await p.send({ type: 'DidFail', message: 'Could not connect to 127.0.0.1:9: connection refused (ECONNREFUSED).' });
    await p.page.locator('.banner').waitFor();
    assert.match(await p.text('.banner'), /ECONNREFUSED/);
    await p.page.click('.banner .banner-close');
    await p.page.locator('.banner').waitFor({ state: 'detached' });
    await p.send(appendRows(S.id, [{ seq: 4, t: 10, type: 'message', dir: 'in', size: 1, label: 'text', preview: 'after the banner' }], { total: 5, dropped: 0, stats: STATS }));
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '5 rows');
    // Clear waits for the host's confirmation.
    await p.page.click('#log-clear');
    assert.deepEqual(await p.waitPosted('ClearRequest'), { type: 'ClearRequest', sessionId: S.id });
    assert.equal(await p.text('#log-count'), '5 rows');
    await p.send({ type: 'DidClear', sessionId: S.id });
    await p.page.waitForFunction(() => document.getElementById('log-count')?.textContent === '0 rows');
  });

  for (const theme of ['dark', 'light'] as const) {
    it(`screenshot with realistic content (${theme})`, async () => {
      const p = await open({ theme });
      const events = wsEvents(40);
      const json = jsonOf(events);
      await p.send(
        snapshot({
          sessions: [{ ...S, total: events.length }, SSE_IMPORT],
          activeSessionId: S.id,
          rows: rowsOf(events),
          stats: STATS,
          hints: HINTS,
          demoUrl: 'http://127.0.0.1:41234',
          defaults: { url: 'ws://127.0.0.1:41234/ws', transport: 'ws', auth: { method: 'query', param: 'access_token', token: 'demo-token' } },
        }),
      );
      await p.page.waitForFunction((n) => document.getElementById('log-count')?.textContent === `${n} rows`, events.length);
      const tick = json.find((e) => e.type === 'message' && e.direction === 'in' && typeof e.data === 'string' && e.data.startsWith('{"seq":38,'))!;
      await p.page.click(`.row[data-seq="${tick.seq}"]`);
      await p.waitPosted('DetailRequest');
      await p.page.click(theme === 'dark' ? '#detail-tab-json' : '#detail-tab-timing');
      await p.send({ type: 'DidLoadDetail', sessionId: S.id, seq: tick.seq, event: tick, related: json.filter((e) => e.type === 'request' || e.type === 'response' || e.type === 'timing') });
      await p.page.locator(theme === 'dark' ? '#detail-body .json-tree' : '#detail-body .waterfall').first().waitFor();
      await p.page.locator('#composer-input').fill('{"type":"subscribe","topic":"prices"}');
      await p.page.selectOption('#composer-format', 'json');
      await p.page.evaluate(() => document.fonts.ready);
      await frames(p);
      await mkdir(join(__dirname, '..', '..', 'test-results'), { recursive: true });
      await p.page.screenshot({ path: join(__dirname, '..', '..', 'test-results', theme === 'dark' ? 'webview.png' : 'webview-light.png') });
      if (theme === 'light') return;
      // And the request setup open, with an error banner and the insecure warning.
      await p.send({ type: 'DidFail', message: 'Could not connect to 127.0.0.1:9: connection refused (ECONNREFUSED).' });
      await p.page.locator('#setup .collapsible-header').click();
      await p.page.selectOption('#auth-method', 'token-url');
      await p.page.click('#opt-insecure');
      await p.page.locator('#insecure-warning').waitFor({ state: 'visible' });
      await frames(p);
      await p.page.screenshot({ path: join(__dirname, '..', '..', 'test-results', 'webview-setup.png') });
    });
  }
});
