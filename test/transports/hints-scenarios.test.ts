/**
 * Every hint rule, fired and not fired by real sessions: the demo server for what it does,
 * a small fixture server (below) for server behaviour the demo server deliberately lacks
 * (SSE without ids, a buffering proxy, backends that change per response, long polls cut
 * by a proxy, heartbeats, server closes, TLS).
 *
 * Long real-world thresholds (30 s proxy timeouts, 10 s observation windows) are lowered
 * per call through `thresholds`, so the file stays fast; the unit tests cover the defaults.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { InspectorEvent } from '../../src/shared/events';
import { computeHints, type HintThresholds } from '../../src/shared/hintRules';
import type { Hint } from '../../src/shared/hints';
import type { ConnectOptions } from '../../src/shared/options';
import { createSession, type Session } from '../../src/transports/index';
import { useCleanup } from '../helpers/cleanup';

// ---------------------------------------------------------------------------------------
// Plumbing: everything opened is closed after each test.

const { defer, demo } = useCleanup();

function open(options: ConnectOptions): Session {
  const s = createSession({ timeoutMs: 5000, ...options });
  defer(() => s.close());
  return s;
}

const WAIT_MS = 8000;

/** Resolves with the first event (already logged or arriving) that matches. */
function waitFor(s: Session, what: string, pred: (ev: InspectorEvent) => boolean): Promise<InspectorEvent> {
  for (const ev of s.log) if (pred(ev)) return Promise.resolve(ev);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}; last events: ${[...s.log].slice(-5).map((e) => e.type).join(', ')}`));
    }, WAIT_MS);
    const off = s.onEvent((ev) => {
      if (!pred(ev)) return;
      clearTimeout(timer);
      off();
      resolve(ev);
    });
  });
}

function waitCount(s: Session, what: string, n: number, pred: (ev: InspectorEvent) => boolean): Promise<InspectorEvent> {
  let seen = 0;
  return waitFor(s, `${n} × ${what}`, (ev) => pred(ev) && ++seen >= n);
}

const isIn = (ev: InspectorEvent) => ev.type === 'message' && ev.direction === 'in';
const isPoll = (ev: InspectorEvent) => ev.type === 'poll';

/** Waits until the session is over (closed, no reconnect pending) or the time is up. */
async function hintsOf(s: Session, thresholds?: Partial<HintThresholds>, context?: { otherWsSessionsToSameHost?: number }): Promise<Hint[]> {
  await s.close();
  return computeHints({ stats: s.stats, options: s.options, events: s.log, thresholds, context });
}

function fired(hints: Hint[], id: string): Hint {
  const h = hints.find((x) => x.id === id);
  assert.ok(h, `expected ${id}; got ${hints.map((x) => x.id).join(', ') || 'no hints'}`);
  return h;
}

function quiet(hints: Hint[], id: string): void {
  const h = hints.find((x) => x.id === id);
  assert.equal(h, undefined, `${id} should not fire: ${h?.message}`);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// The fixture server: scenario routes for behaviour the demo server does not have.

interface Fixture {
  http: string;
  ws: string;
  wss?: string;
}

const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc7SXBEQIOqn7bYOf
/I9UUcJFGYCjyXcF2NQN9hQukq2hRANCAAS9Z9nnRBAVfKeLcqilQTe1SG86Ua+A
JpS9wV27ldwofAC8gLd+gr17KG9kJNbfTgVS4IDIPZ6y81V9pm7G4wvX
-----END PRIVATE KEY-----`;
/** Self-signed for 127.0.0.1/localhost, valid until 2126; test use only. */
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUWs7pBoXx0m+hNBfCpAAMAvJxA1UwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODA0MzEyMFoYDzIxMjYxMTA0
MDQzMTIwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAS9Z9nnRBAVfKeLcqilQTe1SG86Ua+AJpS9wV27ldwofAC8gLd+gr17
KG9kJNbfTgVS4IDIPZ6y81V9pm7G4wvXo28wbTAdBgNVHQ4EFgQUDadpOKEv66N0
ExvzME9t3AsZfdMwHwYDVR0jBBgwFoAUDadpOKEv66N0ExvzME9t3AsZfdMwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhALJOqujHFhaIt6ZNXNO8AwnPhECb0/vELK35wC6HjOnPAiA4
MPehdZputTzsbith9X/lZOTB7KFeNBbGu6QeKuO8+A==
-----END CERTIFICATE-----`;

function tickJson(seq: number): string {
  return JSON.stringify({ seq, ts: Date.now(), kind: 'tick', data: 'x' });
}

async function fixture(opts: { tls?: boolean } = {}): Promise<Fixture> {
  const timers = new Set<NodeJS.Timeout>();
  const every = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setInterval(fn, ms);
    timers.add(t);
    return t;
  };
  let backendCounter = 0;
  let longPollCount = 0;
  const onRequest: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture.invalid');
    switch (url.pathname) {
      case '/sse-noid': {
        // Events without id: lines, as many simple servers send them.
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'Access-Control-Allow-Origin': '*' });
        let n = 0;
        const t = every(20, () => res.write(`data: ${tickJson(++n)}\n\n`));
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/sse-burst': {
        // A buffering proxy in one route: events made every 40 ms, released every 400 ms in one write.
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.write(': open\n\n');
        let n = 0;
        let buffer = '';
        const make = every(40, () => (buffer += `id: ${++n}\ndata: ${tickJson(n)}\n\n`));
        const flush = every(400, () => {
          res.write(buffer);
          buffer = '';
        });
        res.on('close', () => {
          clearInterval(make);
          clearInterval(flush);
        });
        return;
      }
      case '/poll-backends':
      case '/poll-one-backend': {
        // A load balancer without affinity: every answer from the next backend.
        const n = ++backendCounter;
        const backend = url.pathname === '/poll-backends' ? `app-${n % 2}` : 'app-0';
        const body = url.searchParams.has('batch') ? `{"cursor":${n},"messages":[${tickJson(n)}]}` : tickJson(n);
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Backend': backend });
        res.end(body);
        return;
      }
      case '/long-poll-cut': {
        // The first answer comes at once (the session opens); later polls are held and then
        // cut without an answer, as a proxy with a short idle timeout does.
        if (++longPollCount === 1) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(`{"messages":[${tickJson(1)}]}`);
          return;
        }
        const t = setTimeout(() => req.socket.destroy(), 1100);
        timers.add(t);
        res.on('close', () => clearTimeout(t));
        return;
      }
      default:
        res.writeHead(404).end('no such scenario');
    }
  };
  const server = opts.tls ? https.createServer({ key: TLS_KEY, cert: TLS_CERT }, onRequest) : http.createServer(onRequest);
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<Duplex>();
  server.on('connection', (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const path = new URL(req.url ?? '/', 'http://fixture.invalid').pathname;
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      if (path === '/ws-ping') {
        // Heartbeats from the server, and otherwise silence.
        const t = every(100, () => ws.ping());
        ws.on('close', () => clearInterval(t));
      } else if (path === '/ws-close') {
        // A deploy draining connections.
        const t = setTimeout(() => ws.close(1001, 'going away'), 100);
        timers.add(t);
      } else {
        ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  defer(async () => {
    for (const t of timers) clearInterval(t);
    for (const c of wss.clients) c.terminate();
    for (const s of sockets) s.destroy();
    wss.close();
    await new Promise((r) => server.close(r));
  });
  return opts.tls ? { http: `https://127.0.0.1:${port}`, ws: '', wss: `wss://127.0.0.1:${port}` } : { http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
}

// ---------------------------------------------------------------------------------------

describe('short polling scenarios', () => {
  it('poll.mostly-empty: fires on a slow feed polled fast; quiet when every poll finds news', async () => {
    const slow = await demo({ rate: 1 });
    const s = open({ url: slow.urls.poll, transport: 'poll', intervalMs: 20 });
    await s.connect();
    await waitCount(s, 'polls', 15, isPoll);
    const h = fired(await hintsOf(s), 'poll.mostly-empty');
    assert.match(h.message, /^\d+% of polls returned nothing new \(\d+ of \d+\)/);
    assert.ok(Number(h.numbers.emptyShare) >= 0.5);

    const fast = await demo({ rate: 200 });
    const f = open({ url: fast.urls.poll, transport: 'poll', intervalMs: 30 });
    await f.connect();
    await waitCount(f, 'polls', 12, isPoll);
    quiet(await hintsOf(f), 'poll.mostly-empty');
  });

  it('poll.skipped-updates: fires when seq jumps between polls; quiet when each change is seen', async () => {
    const fast = await demo({ rate: 100 });
    const s = open({ url: fast.urls.poll, transport: 'poll', intervalMs: 100 });
    await s.connect();
    await waitCount(s, 'data polls', 5, (e) => e.type === 'poll' && e.outcome === 'data');
    const h = fired(await hintsOf(s), 'poll.skipped-updates');
    assert.ok(Number(h.numbers.skippedUpdates) >= 4, h.message);

    const slow = await demo({ rate: 10 });
    const q = open({ url: slow.urls.poll, transport: 'poll', intervalMs: 5 });
    await q.connect();
    await waitCount(q, 'data polls', 5, (e) => e.type === 'poll' && e.outcome === 'data');
    quiet(await hintsOf(q), 'poll.skipped-updates');
  });

  it('poll.rare-or-irregular: fires when nothing changes over many intervals; quiet for a steady feed', async () => {
    const paused = await demo({ rate: 0 });
    const s = open({ url: paused.urls.poll, transport: 'poll', intervalMs: 20 });
    await s.connect();
    await waitCount(s, 'polls', 14, isPoll);
    assert.match(fired(await hintsOf(s), 'poll.rare-or-irregular').message, /^Only 0 updates in \d+ polls/);

    const steady = await demo({ rate: 50 });
    const q = open({ url: steady.urls.poll, transport: 'poll', intervalMs: 40 });
    await q.connect();
    await waitCount(q, 'polls', 12, isPoll);
    quiet(await hintsOf(q), 'poll.rare-or-irregular');
  });

  it('poll.different-backends: fires when X-Backend changes per answer; quiet for one backend', async () => {
    const fx = await fixture();
    const s = open({ url: `${fx.http}/poll-backends`, transport: 'poll', intervalMs: 10 });
    await s.connect();
    await waitCount(s, 'polls', 4, isPoll);
    assert.match(fired(await hintsOf(s), 'poll.different-backends').message, /2 different backends \(x-backend: app-1, app-0\)/);

    const q = open({ url: `${fx.http}/poll-one-backend`, transport: 'poll', intervalMs: 10 });
    await q.connect();
    await waitCount(q, 'polls', 4, isPoll);
    quiet(await hintsOf(q), 'poll.different-backends');
  });

  it('poll.separate-send-requests: fires for frequent sends over HTTP; quiet for one send', async () => {
    const d = await demo({ rate: 5 });
    const s = open({ url: d.urls.poll, transport: 'poll', intervalMs: 50, sendUrl: d.urls.send });
    await s.connect();
    for (let i = 0; i < 6; i++) await s.send(`{"n":${i}}`);
    const h = fired(await hintsOf(s), 'poll.separate-send-requests');
    assert.match(h.message, /sent 6 messages as separate HTTP requests .* \d+ bytes of HTTP headers each/);

    const q = open({ url: d.urls.poll, transport: 'poll', intervalMs: 50, sendUrl: d.urls.send });
    await q.connect();
    await q.send('{"n":1}');
    quiet(await hintsOf(q), 'poll.separate-send-requests');
  });
});

describe('long polling scenarios', () => {
  it('long-poll.frequent-messages: fires for small frequent messages; quiet when payloads dwarf the headers', async () => {
    const d = await demo({ rate: 100, payloadSize: 64 });
    const s = open({ url: d.urls['long-poll'], transport: 'long-poll' });
    await s.connect();
    await waitCount(s, 'messages', 30, isIn);
    const h = fired(await hintsOf(s), 'long-poll.frequent-messages');
    assert.ok(Number(h.numbers.overheadBytesPerMessage) > Number(h.numbers.payloadBytesPerMessage), h.message);

    const big = await demo({ rate: 100, payloadSize: 8000 });
    const q = open({ url: big.urls['long-poll'], transport: 'long-poll' });
    await q.connect();
    await waitCount(q, 'messages', 30, isIn);
    quiet(await hintsOf(q), 'long-poll.frequent-messages');
  });

  it('long-poll.reconnect-gap: a risk when ticks land between polls without a cursor; quiet with the cursor', async () => {
    // 1000 ticks/s come several per timer firing: all but the first of each firing land while no poll waits.
    const d = await demo({ rate: 1000 });
    const s = open({ url: d.urls['long-poll'], transport: 'long-poll' });
    await s.connect();
    await waitFor(s, 'a seq gap', (e) => e.type === 'error' && e.code === 'MESSAGES_MISSED');
    await waitCount(s, 'polls', 5, isPoll);
    const h = fired(await hintsOf(s), 'long-poll.reconnect-gap');
    assert.equal(h.severity, 'risk');
    assert.ok(Number(h.numbers.lostUpdates) > 0);

    const q = open({ url: d.urls['long-poll'], transport: 'long-poll', cursor: { from: 'json', path: 'cursor', param: 'cursor' } });
    await q.connect();
    await waitCount(q, 'polls', 20, isPoll);
    quiet(await hintsOf(q), 'long-poll.reconnect-gap');
  });

  it('long-poll.held-past-proxy-timeout: fires past the threshold; quiet below it', async () => {
    const d = await demo({ rate: 0, longPollTimeoutMs: 300 });
    const s = open({ url: d.urls['long-poll'], transport: 'long-poll' });
    await s.connect();
    await waitCount(s, 'polls', 2, isPoll);
    await s.close();
    const over = computeHints({ stats: s.stats, options: s.options, events: s.log, thresholds: { proxyIdleSafeMs: 200 } });
    assert.match(fired(over, 'long-poll.held-past-proxy-timeout').message, /^2 of 2 long polls were held longer than 200 ms/);
    quiet(computeHints({ stats: s.stats, options: s.options, events: s.log }), 'long-poll.held-past-proxy-timeout');
  });

  it('long-poll.cut-off-early: fires when held polls are cut without an answer; quiet when the server answers 204', async () => {
    const fx = await fixture();
    const s = open({ url: `${fx.http}/long-poll-cut`, transport: 'long-poll', reconnect: { initialDelayMs: 5000 } });
    await s.connect();
    await waitFor(s, 'a failed poll', (e) => e.type === 'poll' && e.outcome === 'error');
    const h = fired(await hintsOf(s), 'long-poll.cut-off-early');
    assert.match(h.message, /^1 long poll was cut off after being held 1\.\d s \(network\)/);

    const d = await demo({ rate: 0, longPollTimeoutMs: 200 });
    const q = open({ url: d.urls['long-poll'], transport: 'long-poll' });
    await q.connect();
    await waitCount(q, 'polls', 3, isPoll);
    quiet(await hintsOf(q), 'long-poll.cut-off-early');
  });

  it('long-poll.different-backends: fires when the backend changes per answer; quiet on the demo server', async () => {
    const fx = await fixture();
    const s = open({ url: `${fx.http}/poll-backends?batch=1`, transport: 'long-poll' });
    await s.connect();
    await waitCount(s, 'polls', 4, isPoll);
    fired(await hintsOf(s), 'long-poll.different-backends');

    const d = await demo({ rate: 100 });
    const q = open({ url: d.urls['long-poll'], transport: 'long-poll' });
    await q.connect();
    await waitCount(q, 'polls', 4, isPoll);
    quiet(await hintsOf(q), 'long-poll.different-backends');
  });
});

describe('SSE scenarios', () => {
  it('sse.http1-connection-limit fires on the demo stream (HTTP/1.1); not for other transports', async () => {
    // The inspector's client speaks HTTP/1.1 only, so a live HTTP/2 stream cannot be the quiet case here; the unit test covers it.
    const d = await demo({ rate: 50 });
    const s = open({ url: d.urls.sse, transport: 'sse' });
    await s.connect();
    await waitCount(s, 'events', 3, isIn);
    assert.match(fired(await hintsOf(s), 'sse.http1-connection-limit').message, /HTTP\/1\.1/);
    const w = open({ url: d.urls.ws, transport: 'ws' });
    await w.connect();
    await waitCount(w, 'messages', 3, isIn);
    quiet(await hintsOf(w), 'sse.http1-connection-limit');
  });

  it('sse.no-event-ids: fires for a stream without id: lines; quiet for the demo stream', async () => {
    const fx = await fixture();
    const s = open({ url: `${fx.http}/sse-noid`, transport: 'sse' });
    await s.connect();
    await waitCount(s, 'events', 5, isIn);
    assert.match(fired(await hintsOf(s), 'sse.no-event-ids').message, /^\d+ of \d+ events had no id: field/);

    const d = await demo({ rate: 50 });
    const q = open({ url: d.urls.sse, transport: 'sse' });
    await q.connect();
    await waitCount(q, 'events', 5, isIn);
    quiet(await hintsOf(q), 'sse.no-event-ids');
  });

  it('sse.buffered-bursts: fires behind a buffering route; quiet for a live stream', async () => {
    const th = { burstSilenceMs: 300 };
    const fx = await fixture();
    const s = open({ url: `${fx.http}/sse-burst`, transport: 'sse' });
    await s.connect();
    await waitCount(s, 'events', 25, isIn);
    const h = fired(await hintsOf(s, th), 'sse.buffered-bursts');
    assert.match(h.message, /arrived in \d+ bursts after .* the server stamped them \d+ ms apart/);
    assert.match(h.suggestion, /X-Accel-Buffering: no/);

    const d = await demo({ rate: 50 });
    const q = open({ url: d.urls.sse, transport: 'sse' });
    await q.connect();
    await waitCount(q, 'events', 25, isIn);
    quiet(await hintsOf(q, th), 'sse.buffered-bursts');
  });

  it('sse.cors-missing: fires for a stream without Access-Control-Allow-Origin; quiet for the open demo stream', async () => {
    const d = await demo({ rate: 50 });
    const s = open({ url: d.authUrl('sse', 'query'), transport: 'sse', auth: { method: 'query', param: 'access_token', token: d.demoToken } });
    await s.connect();
    await waitCount(s, 'events', 2, isIn);
    fired(await hintsOf(s), 'sse.cors-missing');

    const q = open({ url: d.urls.sse, transport: 'sse' });
    await q.connect();
    await waitCount(q, 'events', 2, isIn);
    quiet(await hintsOf(q), 'sse.cors-missing');
  });

  it('sse.header-auth: fires for a bearer-protected stream; quiet for cookie auth', async () => {
    const d = await demo({ rate: 50 });
    const s = open({ url: d.authUrl('sse', 'bearer'), transport: 'sse', auth: { method: 'bearer', token: d.demoToken } });
    await s.connect();
    await waitCount(s, 'events', 2, isIn);
    assert.match(fired(await hintsOf(s), 'sse.header-auth').message, /was opened with an Authorization: Bearer header/);

    const q = open({ url: d.authUrl('sse', 'cookie'), transport: 'sse', auth: { method: 'cookie', name: 'session', value: d.demoToken } });
    await q.connect();
    await waitCount(q, 'events', 2, isIn);
    quiet(await hintsOf(q), 'sse.header-auth');
  });

  it('sse.separate-send-requests: fires for frequent sends next to the stream; quiet without', async () => {
    const d = await demo({ rate: 20 });
    const s = open({ url: d.urls.sse, transport: 'sse', sendUrl: d.urls.send });
    await s.connect();
    for (let i = 0; i < 6; i++) await s.send(`{"n":${i}}`);
    fired(await hintsOf(s), 'sse.separate-send-requests');

    const q = open({ url: d.urls.sse, transport: 'sse', sendUrl: d.urls.send });
    await q.connect();
    await waitCount(q, 'events', 3, isIn);
    quiet(await hintsOf(q), 'sse.separate-send-requests');
  });

  it('sse.token-in-query: fires for a query token; quiet for a cookie', async () => {
    const d = await demo({ rate: 50 });
    const s = open({ url: d.authUrl('sse', 'query'), transport: 'sse', auth: { method: 'query', param: 'access_token', token: d.demoToken } });
    await s.connect();
    await waitCount(s, 'events', 2, isIn);
    const h = fired(await hintsOf(s), 'sse.token-in-query');
    assert.ok(!JSON.stringify(h).includes(d.demoToken), 'the hint never quotes the token');

    const q = open({ url: d.authUrl('sse', 'cookie'), transport: 'sse', auth: { method: 'cookie', name: 'session', value: d.demoToken } });
    await q.connect();
    await waitCount(q, 'events', 2, isIn);
    quiet(await hintsOf(q), 'sse.token-in-query');
  });
});

describe('WebSocket scenarios', () => {
  it('ws.one-way-only: fires when only the server talks; quiet once the client sends', async () => {
    const th = { oneWayMinObservedMs: 200 };
    const d = await demo({ rate: 200 });
    const s = open({ url: d.urls.ws, transport: 'ws' });
    await s.connect();
    await waitCount(s, 'messages', 60, isIn);
    assert.match(fired(await hintsOf(s, th), 'ws.one-way-only').message, /messages in, 0 out/);

    const q = open({ url: d.urls.ws, transport: 'ws' });
    await q.connect();
    await q.send('hello');
    await waitCount(q, 'messages', 60, isIn);
    quiet(await hintsOf(q, th), 'ws.one-way-only');
  });

  it('ws.no-tls: fires for ws:// (info on loopback); quiet for wss://', async () => {
    const d = await demo({ rate: 50 });
    const s = open({ url: d.urls.ws, transport: 'ws' });
    await s.connect();
    const h = fired(await hintsOf(s), 'ws.no-tls');
    assert.equal(h.severity, 'info');

    const fx = await fixture({ tls: true });
    const q = open({ url: `${fx.wss}/echo`, transport: 'ws', insecure: true });
    await q.connect();
    await q.send('over TLS');
    await waitFor(q, 'the echo', isIn);
    quiet(await hintsOf(q), 'ws.no-tls');
  });

  it('ws.token-in-query: fires for ?access_token=; quiet for a bearer header', async () => {
    const d = await demo({ rate: 50 });
    const s = open({ url: d.authUrl('ws', 'query'), transport: 'ws', auth: { method: 'query', param: 'access_token', token: d.demoToken } });
    await s.connect();
    const h = fired(await hintsOf(s), 'ws.token-in-query');
    assert.equal(h.severity, 'risk');
    assert.match(h.message, /without TLS also in clear text/);

    const q = open({ url: d.authUrl('ws', 'bearer'), transport: 'ws', auth: { method: 'bearer', token: d.demoToken } });
    await q.connect();
    quiet(await hintsOf(q), 'ws.token-in-query');
  });

  it('ws.token-in-subprotocol: warning when echoed, risk when the server echoes none; quiet for bearer', async () => {
    const d = await demo({ rate: 50 });
    const s = open({ url: d.authUrl('ws', 'subprotocol'), transport: 'ws', auth: { method: 'subprotocol', token: d.demoToken, marker: 'access_token' } });
    await s.connect();
    const echoed = fired(await hintsOf(s), 'ws.token-in-subprotocol');
    assert.equal(echoed.severity, 'warning');
    assert.equal(echoed.numbers.echoed, 'access_token');

    const n = open({ url: d.authUrl('ws', 'subprotocol-noecho'), transport: 'ws', auth: { method: 'subprotocol', token: d.demoToken, marker: 'access_token' } });
    await assert.rejects(n.connect());
    const none = fired(await hintsOf(n), 'ws.token-in-subprotocol');
    assert.equal(none.severity, 'risk');
    assert.match(none.message, /did not echo a subprotocol/);

    const q = open({ url: d.authUrl('ws', 'bearer'), transport: 'ws', auth: { method: 'bearer', token: d.demoToken } });
    await q.connect();
    quiet(await hintsOf(q), 'ws.token-in-subprotocol');
  });

  it('ws.first-message-auth: measures the unauthenticated window on the demo server; quiet for handshake auth', async () => {
    const d = await demo({ rate: 50 });
    const s = open({ url: d.authUrl('ws', 'first-message'), transport: 'ws', auth: { method: 'first-message', token: d.demoToken } });
    await s.connect();
    await waitFor(s, 'the auth answer', (e) => isIn(e) && e.type === 'message' && String(e.data).includes('auth-ok'));
    const h = fired(await hintsOf(s), 'ws.first-message-auth');
    assert.match(h.message, /stayed open [\d.]+ (ms|s) unauthenticated \(open to the server's first message\)/);
    assert.ok(Number(h.numbers.unauthenticatedMs) >= 0);
    assert.equal(h.numbers.messagesBeforeAuth, 0);

    const q = open({ url: d.authUrl('ws', 'query'), transport: 'ws', auth: { method: 'query', param: 'access_token', token: d.demoToken } });
    await q.connect();
    quiet(await hintsOf(q), 'ws.first-message-auth');
  });

  it('ws.no-heartbeat: fires after silence without pings; quiet when the server pings', async () => {
    const th = { wsIdleMs: 300 };
    const fx = await fixture();
    const s = open({ url: `${fx.ws}/silent`, transport: 'ws' });
    await s.connect();
    await pause(400); // the silence is what is measured
    fired(await hintsOf(s, th), 'ws.no-heartbeat');

    const q = open({ url: `${fx.ws}/ws-ping`, transport: 'ws' });
    await q.connect();
    await waitCount(q, 'pings', 4, (e) => e.type === 'ping');
    quiet(await hintsOf(q, th), 'ws.no-heartbeat');
  });

  it('ws.no-reconnect: fires when the server closes and nothing reconnects; quiet with reconnect on', async () => {
    const fx = await fixture();
    const s = open({ url: `${fx.ws}/ws-close`, transport: 'ws' });
    await s.connect();
    await waitFor(s, 'the server close', (e) => e.type === 'close');
    assert.match(fired(await hintsOf(s), 'ws.no-reconnect').message, /closed by the server \(code 1001 "going away"\) and nothing reconnected/);

    const q = open({ url: `${fx.ws}/ws-close`, transport: 'ws', reconnect: { enabled: true, initialDelayMs: 50 } });
    await q.connect();
    await waitFor(q, 'the reconnect', (e) => e.type === 'reconnect');
    quiet(await hintsOf(q), 'ws.no-reconnect');
  });

  it('ws.multiple-connections: fires with another WebSocket to the same host open; quiet alone', async () => {
    const d = await demo({ rate: 20 });
    const a = open({ url: d.urls.ws, transport: 'ws' });
    const b = open({ url: d.urls.wsEcho, transport: 'ws' });
    await Promise.all([a.connect(), b.connect()]);
    const host = (s: Session) => new URL(s.options.url).host;
    const others = [b].filter((x) => x.state === 'open' && host(x) === host(a)).length;
    assert.match(fired(await hintsOf(a, undefined, { otherWsSessionsToSameHost: others }), 'ws.multiple-connections').message, /^2 WebSocket connections to 127\.0\.0\.1:\d+/);
    await b.close();
    const alone = [b].filter((x) => x.state === 'open' && host(x) === host(a)).length;
    quiet(await hintsOf(a, undefined, { otherWsSessionsToSameHost: alone }), 'ws.multiple-connections');
  });
});
