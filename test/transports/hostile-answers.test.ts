/**
 * Hostile and broken endpoints, part 8: what SSE and polling servers answer. Junk in the
 * stream, endless lines, 204, error pages, wrong content types, absurd retry values, silent
 * streams, buffering proxies, long polls nobody answers, error storms. No tight loops: the
 * requests are counted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { describe, it } from 'node:test';
import { computeHints } from '../../src/shared/hintRules';
import { assertCleanFailure, assertNoSecret, connectFails, describeLog, events, httpServer, onCleanup, open, rawServer, readHead, token, waitFor, withTimeout } from './hostile-helpers';

function sseHead(res: http.ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
}

describe('hostile: SSE answers', () => {
  it('binary junk in the stream: no crash, notices are capped, the events around it are kept', async () => {
    const junk = randomBytes(64 * 1024);
    const srv = await httpServer((_req, res) => {
      sseHead(res);
      res.write('id: 1\ndata: before\n\n');
      res.write(junk);
      // Whatever line the junk left open ends here; then a clean event.
      res.write('\n\nid: 2\ndata: after\n\n');
    });
    const s = open('sse', `${srv.origin}/junk`);
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'after');
    assert.equal(events(s, 'message')[0].data, 'before');
    assert.ok(events(s, 'info').filter((i) => i.key === 'sse-unknown-field').length <= 20, 'unknown-field notices are capped');
    assert.equal(s.state, 'open');
  });

  it('a line with no newline growing past the limit: LINE_TOO_LONG, earlier events kept, no reconnect', async () => {
    const srv = await httpServer((_req, res) => {
      sseHead(res);
      res.write('data: fine\n\n');
      const chunk = 'x'.repeat(16 * 1024);
      let n = 0;
      const grow = setInterval(() => {
        if (res.destroyed || n++ > 64) return clearInterval(grow);
        res.write(n === 1 ? `data: ${chunk}` : chunk);
      }, 1);
      onCleanup(() => clearInterval(grow));
    });
    const s = open('sse', `${srv.origin}/long`, { maxLineBytes: 64 * 1024, reconnect: { enabled: true, initialDelayMs: 10 } });
    await s.connect();
    const err = await waitFor(s, 'error', (e) => e.code === 'LINE_TOO_LONG');
    assert.equal(err.message, 'A line in the event stream passed 64 KiB without a newline; stopped reading to protect memory.');
    assert.equal(err.fatal, true);
    assert.equal(events(s, 'message')[0].data, 'fine');
    await withTimeout(s.closed, 5000, 'closed');
    assert.equal(srv.requests.length, 1, 'no reconnect after a limit');
  });

  it('204 on the first answer: the stream is over, said plainly, no retry', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(204).end());
    const s = open('sse', `${srv.origin}/done`, { reconnect: { enabled: true, initialDelayMs: 10 } });
    const err = await connectFails(s);
    assert.equal(err.message, 'Server answered 204 No Content: the stream is over, not reconnecting.');
    assert.equal(srv.requests.length, 1);
  });

  it('a 502 HTML page and a 200 with the wrong content type: status, type and body start, one request only', async () => {
    const secret = token();
    const srv = await httpServer((req, res) => {
      if (req.url === '/bad-gateway') return void res.writeHead(502, { 'Content-Type': 'text/html' }).end(`<html><body><h1>502 Bad Gateway</h1><p>upstream refused ${secret}</p></body></html>`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"events":[]}');
    });
    const s = open('sse', `${srv.origin}/bad-gateway`, { auth: { method: 'bearer', token: secret }, reconnect: { enabled: true, initialDelayMs: 10 } });
    const err = await connectFails(s);
    assert.equal(err.message, 'The server answered 502 Bad Gateway (Content-Type text/html) instead of an event stream; not reconnecting.');
    const fatal = events(s, 'error').find((e) => e.fatal)!;
    assert.match(fatal.detail ?? '', /body starts: <html><body><h1>502 Bad Gateway<\/h1><p>upstream refused «redacted …\w{4}»/);
    await assertCleanFailure(s, err, [secret]);

    const j = open('sse', `${srv.origin}/json`, { reconnect: { enabled: true, initialDelayMs: 10 } });
    const err2 = await connectFails(j);
    assert.equal(err2.message, 'The server answered 200 with Content-Type "application/json" instead of text/event-stream; not reconnecting.');
    assert.equal(srv.requests.length, 2, 'one request each: no reconnect loop');
  });

  it('retry: 0 and retry: days are clamped: the reconnect waits the minimum (no tight loop), or the maximum', async () => {
    const srv = await httpServer((req, res) => {
      sseHead(res);
      res.end(req.url === '/zero' ? 'retry: 0\ndata: again\n\n' : 'retry: 259200000\ndata: see you in three days\n\n');
    });
    const s = open('sse', `${srv.origin}/zero`, { retryClampMs: { min: 200, max: 5000 }, reconnect: { enabled: true, initialDelayMs: 10 } });
    await s.connect();
    const r = await waitFor(s, 'retry');
    assert.deepEqual([r.raw, r.appliedMs], ['0', 200]);
    // Each reconnect follows a successful open, so `attempt` starts over at 1 every time: count them.
    await waitFor(s, 'reconnect', () => events(s, 'reconnect').length >= 3, 8000);
    const delays = events(s, 'reconnect').map((e) => e.delayMs);
    assert.ok(delays.every((d) => d === 200), `every reconnect waits the clamped minimum: ${delays.join(', ')}`);
    await s.close();
    const requests = srv.requests.length;
    assert.ok(requests <= 5, `a retry of 0 did not become a tight loop (${requests} requests)`);

    const days = open('sse', `${srv.origin}/days`, { retryClampMs: { min: 200, max: 5000 }, reconnect: { enabled: true, initialDelayMs: 10 } });
    await days.connect();
    const r2 = await waitFor(days, 'retry');
    assert.deepEqual([r2.raw, r2.appliedMs], ['259200000', 5000]);
    const rc = await waitFor(days, 'reconnect');
    assert.equal(rc.delayMs, 5000, 'three days clamped to the 5 s maximum');
    await withTimeout(days.close(), 2000, 'close() during a long reconnect wait');
  });

  it('an idle stream past the body timeout: a clear error, events kept, the stream ends', async () => {
    const srv = await httpServer((_req, res) => {
      sseHead(res);
      res.write('data: then silence\n\n');
    });
    const s = open('sse', `${srv.origin}/idle`, { idleTimeoutMs: 300 });
    await s.connect();
    const err = await waitFor(s, 'error', (e) => e.code === 'IDLE_TIMEOUT');
    assert.equal(err.message, 'No data for 300 ms on the event stream (not even a heartbeat comment); closing.');
    assert.equal(events(s, 'message')[0].data, 'then silence');
    await withTimeout(s.closed, 5000, 'closed');
  });

  it('a proxy that buffers the stream (silence, then a burst): every event, in order, and the buffering hint', async () => {
    const srv = await rawServer((sock) => {
      void readHead(sock).then(async () => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n');
        let id = 0;
        for (let burst = 0; burst < 3 && !sock.destroyed; burst++) {
          await new Promise((r) => setTimeout(r, 400));
          let text = '';
          for (let i = 0; i < 100; i++) text += `id: ${++id}\ndata: {"seq":${id}}\n\n`;
          sock.write(text);
        }
      });
    });
    const s = open('sse', `${srv.origin}/buffered`);
    await s.connect();
    await waitFor(s, 'message', (m) => m.sse?.id === '300', 10_000);
    const ids = events(s, 'message').map((m) => Number(m.sse?.id));
    assert.deepEqual(ids, Array.from({ length: 300 }, (_, i) => i + 1), 'nothing lost, nothing reordered');
    const hints = computeHints({ stats: s.stats, options: s.options, events: s.log, thresholds: { burstSilenceMs: 250, minSseEvents: 50 } });
    const h = hints.find((x) => x.id === 'sse.buffered-bursts');
    assert.ok(h, `the buffering is named: ${hints.map((x) => x.id).join(', ')}`);
    assert.match(h.message, /events arrived in \d bursts after .* of silence .*a proxy or compression is buffering the stream/);
  });
});

describe('hostile: polling answers', () => {
  it('a long poll that never answers: the client hold timeout cancels it, says so once, asks again; no error storm', async () => {
    const srv = await rawServer(() => {
      /* holds every request forever */
    });
    const s = open('long-poll', `${srv.origin}/lp`, { holdTimeoutMs: 300 });
    const connecting = s.connect().catch(() => undefined);
    await waitFor(s, 'poll', (p) => p.outcome === 'timeout' && p.requestId >= 3, 8000);
    const polls = events(s, 'poll');
    assert.ok(polls.every((p) => p.outcome === 'timeout' && p.reason === 'timeout'));
    const note = events(s, 'info').filter((i) => i.key === 'hold-timeout');
    assert.equal(note.length, 1, 'explained once');
    assert.match(note[0].message, /No answer within the client's hold timeout \(300 ms\): the request was cancelled and sent again\. The server may hold requests longer than this client allows \(raise holdTimeoutMs\), or it never answers\./);
    assert.equal(events(s, 'error').length, 0);
    assert.ok(srv.received.length <= 5, `each request waited its hold timeout (${srv.received.length} requests)`);
    await withTimeout(s.close(), 2000, 'close() during a held request');
    await connecting;
  });

  for (const transport of ['poll', 'long-poll'] as const) {
    it(`${transport}: a storm of 5xx HTML pages after open backs off (requests counted), then recovers`, async () => {
      let failing = false;
      const srv = await httpServer((_req, res, n) => {
        if (n === 1) failing = true;
        if (failing && n > 1 && n <= 7) return void res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html><h1>503 Service Unavailable</h1></html>');
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ messages: [{ n }] }));
      });
      const s = open(transport, `${srv.origin}/p`, { intervalMs: 5, reconnect: { initialDelayMs: 40, maxDelayMs: 400 } });
      await s.connect();
      const recovered = await waitFor(s, 'info', (i) => i.key === 'recovered', 15_000);
      assert.equal(recovered.message, 'Polling recovered after 6 failed polls; back to the normal pace.');
      const rc = events(s, 'reconnect');
      assert.equal(rc.length, 6, describeLog(s));
      for (let i = 1; i < rc.length; i++) assert.ok(rc[i].delayMs >= rc[i - 1].delayMs * 0.5, 'delays do not shrink');
      assert.ok(rc[5].delayMs >= 150, `the wait grew: ${rc.map((r) => r.delayMs).join(', ')}`);
      const errs = events(s, 'error');
      assert.equal(errs.length, 6);
      assert.match(errs[0].message, /^The server answered 503 Service Unavailable\.$/);
      assert.match(errs[0].detail ?? '', /content-type text\/html; body: <html><h1>503 Service Unavailable<\/h1><\/html>/);
      // Requests: the first answer, six failures, the recovery: no extra request in between.
      assert.ok(srv.requests.length <= 9, `${srv.requests.length} requests`);
    });
  }

  it('long-poll: a URL that answers an HTML page at once, every time, is backed off instead of hammered', async () => {
    const page = '<!doctype html><html><body>Welcome</body></html>';
    const srv = await httpServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(page));
    const s = open('long-poll', `${srv.origin}/not-a-long-poll`, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    await s.connect();
    await waitFor(s, 'reconnect', (r) => r.attempt >= 3, 8000);
    const rc = events(s, 'reconnect');
    assert.match(rc[0].reason, /answered \d+ long polls in a row with the same body, without holding them/);
    await s.close();
    assert.ok(srv.requests.length < 15, `${srv.requests.length} requests: backed off`);
  });

  it('short poll: a first answer that is a 5xx HTML page fails clearly, with the status and the start of the page', async () => {
    const secret = token();
    const srv = await httpServer((_req, res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end(`<html><title>Bad gateway</title><body>token=${secret}</body></html>`));
    const s = open('poll', `${srv.origin}/p`, { auth: { method: 'query', param: 'k', token: secret } });
    const err = await connectFails(s);
    assert.match(err.message, /^The server answered 502 Bad Gateway to the first poll \(text\/html\): <html><title>Bad gateway<\/title><body>token=«redacted …\w{4}»<\/body><\/html>$/);
    await assertCleanFailure(s, err, [secret]);
    assertNoSecret(s, [secret]);
  });
});
