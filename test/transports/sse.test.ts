import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ConnectOptions } from '../../src/shared/options';
import { ConnectError } from '../../src/transports/session';
import { SseSession } from '../../src/transports/sse';
import { describeLog, eventsOf, waitFor } from '../helpers/session';

/** The part of faye-websocket's EventSource server used here (the package ships no types). */
interface FayeEventSource {
  lastEventId: string;
  send(data: string, opts?: { event?: string; id?: string }): boolean;
  close(): boolean;
}
interface FayeModule {
  EventSource: {
    new (req: http.IncomingMessage, res: http.ServerResponse, opts?: { retry?: number; ping?: number; headers?: Record<string, string> }): FayeEventSource;
    isEventSource(req: http.IncomingMessage): boolean;
  };
}
const FAYE_MODULE = 'faye-websocket';

/** Loaded on use, so a missing devDependency fails that one test with a clear message. */
function loadFaye(): FayeModule {
  try {
    return createRequire(import.meta.url)(FAYE_MODULE) as FayeModule;
  } catch (err) {
    throw new Error(`The faye-websocket devDependency is missing (npm install): ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------
// One real node:http server on 127.0.0.1:0; each test registers its own paths.


interface Seen {
  method: string;
  path: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** `n` is the 1-based count of requests to this path, so a route can act per (re)connect. */
type Route = (req: http.IncomingMessage, res: http.ServerResponse, n: number, body: string) => void;

const routes = new Map<string, Route>();
const seen: Seen[] = [];
const sockets = new Set<Socket>();
let server: http.Server;
let origin = '';

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', origin);
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', path: u.pathname, url: req.url ?? '', headers: req.headers, body });
      const route = routes.get(u.pathname);
      if (!route) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such route');
      route(req, res, seen.filter((s) => s.path === u.pathname).length, body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

const sessions: SseSession[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  while (cleanups.length) await cleanups.pop()!();
});

let pathSeq = 0;
/** Registers a route on a fresh path and returns its URL. */
function route(fn: Route): { path: string; url: string } {
  const path = `/r${++pathSeq}`;
  routes.set(path, fn);
  return { path, url: origin + path };
}

const requestsTo = (path: string): Seen[] => seen.filter((s) => s.path === path);

function sseHead(res: http.ServerResponse, extra: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...extra });
  res.flushHeaders();
}

function session(url: string, opts: Partial<ConnectOptions> = {}): SseSession {
  const s = new SseSession({ url, transport: 'sse', ...opts });
  sessions.push(s);
  return s;
}

/** Waits for `closed` with a generous limit, so a hang fails with a message instead of a runner timeout. */
async function closedWithin(s: SseSession, ms = 8000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    s.closed,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`session not closed after ${ms} ms; log: ${describeLog(s)}`)), ms))),
  ]);
  clearTimeout(timer);
}

const all = eventsOf;

async function rejection(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String(err)}`);
    return err;
  }
  assert.fail('connect() resolved but should have rejected');
}

// ---------------------------------------------------------------------------------------

describe('SseSession against real node:http servers', () => {
  it('logs events with id/event/retry fields, comments, and the request/response/timing of the connect', async () => {
    const block1 = ': welcome\nretry: 1500\nid: 1\nevent: greet\ndata: hello\n\n';
    const block2 = 'data: line1\ndata: line2\n\n';
    const r = route((_req, res) => {
      sseHead(res);
      res.write(block1);
      res.write(block2);
    });
    const s = session(r.url, { retryClampMs: { min: 100, max: 5000 } });
    await s.connect();
    assert.equal(s.state, 'open');
    await waitFor(s, 'message', (m) => m.data === 'line1\nline2');

    const req = all(s, 'request')[0];
    assert.equal(req.purpose, 'sse');
    assert.equal(req.method, 'GET');
    const headerNames = req.headers.map(([k]) => k.toLowerCase());
    assert.ok(headerNames.includes('accept') && headerNames.includes('cache-control'), JSON.stringify(req.headers));
    assert.deepEqual(
      req.headers.find(([k]) => k.toLowerCase() === 'accept'),
      ['Accept', 'text/event-stream'],
    );
    const res = all(s, 'response')[0];
    assert.equal(res.requestId, req.requestId);
    assert.equal(res.status, 200);
    assert.equal(res.httpVersion, '1.1');
    const timing = all(s, 'timing').find((t) => t.requestId === req.requestId);
    assert.ok(timing, 'a timing event for the connect');
    assert.equal(typeof timing.ttfb, 'number');
    assert.ok(all(s, 'info').some((i) => i.key === 'sse-http-version' && i.message.startsWith('SSE over HTTP/1.1')));

    const msgs = all(s, 'message');
    assert.equal(msgs.length, 2);
    assert.deepEqual(
      msgs.map((m) => ({ data: m.data, sse: m.sse, direction: m.direction, binary: m.binary, requestId: m.requestId })),
      [
        { data: 'hello', sse: { event: 'greet', id: '1', retry: 1500 }, direction: 'in', binary: false, requestId: req.requestId },
        { data: 'line1\nline2', sse: { event: 'message', id: undefined, retry: undefined }, direction: 'in', binary: false, requestId: req.requestId },
      ],
    );
    // Each write is one HTTP chunk: its framing (hex size, CRLF, and the CRLF after the data) is the event's too.
    const chunkFraming = (block: string): number => Buffer.byteLength(block).toString(16).length + 4;
    assert.equal(msgs[0].size, 5);
    assert.equal(msgs[0].overheadBytes, Buffer.byteLength(block1) - 5 + chunkFraming(block1));
    assert.equal(msgs[1].size, 11);
    assert.equal(msgs[1].overheadBytes, Buffer.byteLength(block2) - 11 + chunkFraming(block2));
    assert.deepEqual(
      all(s, 'comment').map((c) => c.text),
      ['welcome'],
    );
    assert.deepEqual(
      all(s, 'retry').map((e) => ({ raw: e.raw, appliedMs: e.appliedMs })),
      [{ raw: '1500', appliedMs: 1500 }],
    );
    assert.equal(s.stats.messagesIn, 2);
    assert.equal(s.stats.sseWithId, 1);
  });

  it('reconnects after the server ends the stream, sending Last-Event-ID, shown in the request event', async () => {
    const r = route((_req, res, n) => {
      sseHead(res);
      if (n === 1) {
        res.end('retry: 0\n\nid: 41\ndata: a\n\nid: 42\ndata: b\n\ndata: no id\n\n');
      } else res.write('data: c\n\n');
    });
    const s = session(r.url, { retryClampMs: { min: 20, max: 1000 } });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'c');

    const [first, second] = requestsTo(r.path);
    assert.equal(first.headers['last-event-id'], undefined);
    assert.equal(second.headers['last-event-id'], '42');
    const reconnect = await waitFor(s, 'reconnect');
    assert.deepEqual({ attempt: reconnect.attempt, delayMs: reconnect.delayMs, lastEventId: reconnect.lastEventId, reason: reconnect.reason }, { attempt: 1, delayMs: 20, lastEventId: '42', reason: 'the server ended the stream' });
    const reqs = all(s, 'request');
    assert.equal(reqs.length, 2);
    assert.deepEqual(
      reqs[1].headers.find(([k]) => k === 'Last-Event-ID'),
      ['Last-Event-ID', '42'],
    );
    assert.ok(!reqs[0].headers.some(([k]) => k === 'Last-Event-ID'));
    const close = all(s, 'close')[0];
    assert.equal(close.by, 'server');
    assert.ok(close.seq < reconnect.seq, 'the close of the first stream is logged before the reconnect');
    // The log order tells the story: state goes back to connecting, then open again.
    const states = all(s, 'state').map((e) => e.state);
    assert.deepEqual(states, ['connecting', 'open', 'connecting', 'open']);
  });

  it('honours retry clamped to the configured bounds (retry: 0 -> min, retry: 99999999 -> max)', async () => {
    const r = route((_req, res, n) => {
      sseHead(res);
      if (n === 1) res.end('retry: 0\n\n');
      else if (n === 2) res.end('retry: 99999999\n\n');
      else res.write('data: third\n\n');
    });
    const s = session(r.url, { retryClampMs: { min: 30, max: 250 } });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'third');
    assert.deepEqual(
      all(s, 'retry').map((e) => [e.raw, e.appliedMs]),
      [
        ['0', 30],
        ['99999999', 250],
      ],
    );
    assert.deepEqual(
      all(s, 'reconnect').map((e) => [e.attempt, e.delayMs]),
      [
        [1, 30],
        [1, 250],
      ],
    );
  });

  it('uses options.reconnect.initialDelayMs until the server sends retry, and logs non-digit retry as ignored', async () => {
    const r = route((_req, res, n) => {
      sseHead(res);
      if (n === 1) res.end('retry: 10s\n\ndata: x\n\n');
      else res.write('data: back\n\n');
    });
    const s = session(r.url, { reconnect: { initialDelayMs: 40 }, retryClampMs: { min: 10, max: 1000 } });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'back');
    assert.deepEqual(
      all(s, 'retry').map((e) => [e.raw, e.appliedMs]),
      [['10s', undefined]],
    );
    assert.equal(all(s, 'reconnect')[0].delayMs, 40);
  });

  it('stops on 204 No Content after a stream ended, with no further request', async () => {
    const r = route((_req, res, n) => {
      if (n === 1) {
        sseHead(res);
        res.end('retry: 0\n\ndata: last one\n\n');
      } else res.writeHead(204).end();
    });
    const s = session(r.url, { retryClampMs: { min: 10, max: 100 } });
    await s.connect();
    await closedWithin(s);
    const info = all(s, 'info').find((i) => i.key === 'sse-204');
    assert.equal(info?.message, 'Server answered 204 No Content: the stream is over, not reconnecting.');
    const closes = all(s, 'close');
    assert.equal(closes.at(-1)?.by, 'server');
    assert.match(closes.at(-1)!.reason, /204/);
    assert.equal(s.state, 'closed');
    assert.equal(all(s, 'error').length, 0, 'a 204 is the server saying "done", not an error');
    // Longer than the retry in force: a reconnect loop would have sent a third request by now.
    await new Promise((r2) => setTimeout(r2, 300));
    assert.equal(requestsTo(r.path).length, 2);
  });

  it('rejects connect() when the very first answer is 204', async () => {
    const r = route((_req, res) => res.writeHead(204).end());
    const s = session(r.url);
    const err = await rejection(s.connect());
    assert.equal(err.code, 'NO_CONTENT');
    assert.match(err.message, /204 No Content/);
    await closedWithin(s);
    assert.equal(requestsTo(r.path).length, 1);
  });

  it('fails once on a 502 HTML page: status, content type and body start shown, no reconnect loop', async () => {
    const page = '<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>upstream sse-backend-7 did not answer</p>' + 'x'.repeat(400) + '</body></html>';
    const r = route((_req, res) => res.writeHead(502, { 'Content-Type': 'text/html; charset=utf-8' }).end(page));
    const s = session(r.url, { retryClampMs: { min: 10, max: 50 } });
    const err = await rejection(s.connect());
    assert.equal(err.code, 'HTTP_STATUS');
    assert.match(err.message, /502 Bad Gateway/);
    assert.match(err.message, /text\/html/);
    const fatal = all(s, 'error').find((e) => e.fatal);
    assert.ok(fatal);
    assert.equal(fatal.message, err.message);
    assert.match(fatal.detail ?? '', /content-type: text\/html; charset=utf-8/);
    assert.match(fatal.detail ?? '', /body starts: <!doctype html><html><head><title>502 Bad Gateway/);
    assert.ok(!(fatal.detail ?? '').includes('x'.repeat(200)), 'only the first 200 bytes of the body are shown');
    await closedWithin(s);
    await new Promise((r2) => setTimeout(r2, 200));
    assert.equal(requestsTo(r.path).length, 1);
    assert.equal(all(s, 'reconnect').length, 0);
  });

  it('fails once on the wrong content type (200 application/json)', async () => {
    const r = route((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"error":"this is not a stream"}'));
    const s = session(r.url, { retryClampMs: { min: 10, max: 50 } });
    const err = await rejection(s.connect());
    assert.equal(err.code, 'BAD_CONTENT_TYPE');
    assert.match(err.message, /application\/json/);
    const fatal = all(s, 'error').find((e) => e.fatal)!;
    assert.match(fatal.detail ?? '', /body starts: \{"error":"this is not a stream"\}/);
    await closedWithin(s);
    await new Promise((r2) => setTimeout(r2, 200));
    assert.equal(requestsTo(r.path).length, 1);
  });

  it('accepts an upper-case media type (media types are case-insensitive)', async () => {
    const r = route((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'Text/Event-Stream; charset=UTF-8' });
      res.write('data: ok\n\n');
    });
    const s = session(r.url);
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'ok');
  });

  it('survives binary junk in the stream and keeps parsing after it', async () => {
    const junk = Buffer.alloc(2048);
    let x = 12345;
    for (let i = 0; i < junk.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      junk[i] = x >>> 24;
    }
    const r = route((_req, res) => {
      sseHead(res);
      res.write(junk);
      res.write('\n\ndata: after the junk\n\n');
    });
    const s = session(r.url);
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'after the junk');
    assert.equal(s.state, 'open');
    assert.equal(all(s, 'error').length, 0);
    // Unknown-field notices are capped, so junk cannot flood the log.
    assert.ok(all(s, 'info').filter((i) => i.key === 'sse-unknown-field').length <= 20);
  });

  it('stops with LINE_TOO_LONG on an overlong line, keeps what was logged, and does not reconnect', async () => {
    const r = route((_req, res) => {
      sseHead(res);
      res.write('data: before\n\n');
      res.write('data: ' + 'y'.repeat(5000));
    });
    const s = session(r.url, { maxLineBytes: 4096, retryClampMs: { min: 10, max: 50 } });
    await s.connect();
    const err = await waitFor(s, 'error', (e) => e.code === 'LINE_TOO_LONG');
    assert.equal(err.fatal, true);
    assert.equal(err.message, 'A line in the event stream passed 4 KiB without a newline; stopped reading to protect memory.');
    await closedWithin(s);
    assert.deepEqual(
      all(s, 'message').map((m) => m.data),
      ['before'],
    );
    await new Promise((r2) => setTimeout(r2, 150));
    assert.equal(requestsTo(r.path).length, 1);
  });

  it('uses the 1 MiB default line limit', async () => {
    const r = route((_req, res) => {
      sseHead(res);
      res.write('data: ' + 'z'.repeat(1024 * 1024 + 10));
    });
    const s = session(r.url);
    await s.connect();
    const err = await waitFor(s, 'error', (e) => e.code === 'LINE_TOO_LONG');
    assert.equal(err.message, 'A line in the event stream passed 1 MiB without a newline; stopped reading to protect memory.');
    await closedWithin(s);
  });

  it('gives up after reconnect.maxAttempts failed attempts, with readable network errors', async () => {
    const r = route((req, res, n) => {
      if (n === 1) {
        sseHead(res);
        res.end('retry: 0\n\ndata: only\n\n');
      } else req.socket.destroy(); // no answer at all: a network error on every reconnect
    });
    const s = session(r.url, { reconnect: { maxAttempts: 2 }, retryClampMs: { min: 10, max: 50 } });
    await s.connect();
    await closedWithin(s);
    assert.deepEqual(
      all(s, 'reconnect').map((e) => e.attempt),
      [1, 2],
    );
    assert.equal(requestsTo(r.path).length, 3);
    const networkErrors = all(s, 'error').filter((e) => !e.fatal);
    assert.equal(networkErrors.length, 2);
    assert.match(networkErrors[0].message, /socket hang up|closed the connection/);
    const fatal = all(s, 'error').find((e) => e.fatal)!;
    assert.equal(fatal.code, 'RECONNECT_GAVE_UP');
    assert.match(fatal.message, /Gave up after 2 reconnect attempts/);
    // The second reconnect explains why: the previous attempt's network error.
    assert.match(all(s, 'reconnect')[1].reason, /socket hang up|closed the connection/);
  });

  it('does not reconnect when reconnect.enabled is false', async () => {
    const r = route((_req, res) => {
      sseHead(res);
      res.end('retry: 0\n\ndata: once\n\n');
    });
    const s = session(r.url, { reconnect: { enabled: false }, retryClampMs: { min: 10, max: 50 } });
    await s.connect();
    await closedWithin(s);
    assert.equal(all(s, 'reconnect').length, 0);
    assert.ok(all(s, 'info').some((i) => i.key === 'sse-no-reconnect'));
    await new Promise((r2) => setTimeout(r2, 100));
    assert.equal(requestsTo(r.path).length, 1);
  });

  it('rejects connect() with a readable error when nothing listens and reconnect is off', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = session(`http://127.0.0.1:${port}/gone`, { reconnect: { enabled: false } });
    const err = await rejection(s.connect());
    assert.match(err.message, /Connection refused/);
    assert.ok(all(s, 'error').some((e) => e.code === 'ECONNREFUSED' && !e.fatal));
  });

  it('applies timeoutMs to the response headers of the connect', async () => {
    const r = route(() => {
      /* never answers */
    });
    const s = session(r.url, { timeoutMs: 200, reconnect: { enabled: false } });
    const err = await rejection(s.connect());
    assert.match(err.message, /Timed out.*200 ms/i);
    const timeout = all(s, 'error').find((e) => e.code === 'TIMEOUT');
    assert.ok(timeout && !timeout.fatal, describeLog(s));
  });

  it('idle timeout: no bytes for N ms -> error, then reconnect', async () => {
    const r = route((_req, res, n) => {
      sseHead(res);
      res.write(`data: hello ${n}\n\n`); // then silence
    });
    const s = session(r.url, { idleTimeoutMs: 200, retryClampMs: { min: 10, max: 50 }, reconnect: { initialDelayMs: 10 } });
    await s.connect();
    const idle = await waitFor(s, 'error', (e) => e.code === 'IDLE_TIMEOUT');
    assert.equal(idle.fatal, false);
    assert.match(idle.message, /No data for 200 ms/);
    const rc = await waitFor(s, 'reconnect');
    assert.equal(rc.reason, 'no data for 200 ms');
    await waitFor(s, 'message', (m) => m.data === 'hello 2');
  });

  it('heartbeat comments keep an idle timeout from firing', async () => {
    let beat: NodeJS.Timeout | undefined;
    const r = route((_req, res) => {
      sseHead(res);
      let i = 0;
      beat = setInterval(() => res.write(`: beat ${++i}\n\n`), 40);
    });
    cleanups.push(() => clearInterval(beat));
    // Beats every 40 ms against an 800 ms limit: 1.2 s of beats cover the limit with a wide margin.
    const s = session(r.url, { idleTimeoutMs: 800 });
    await s.connect();
    await waitFor(s, 'comment', (c) => c.text === 'beat 30');
    assert.equal(all(s, 'error').length, 0);
    assert.equal(requestsTo(r.path).length, 1);
  });

  it('close() ends at once during a reconnect wait', async () => {
    const r = route((_req, res) => {
      sseHead(res);
      res.end('retry: 60000\n\ndata: bye\n\n');
    });
    const s = session(r.url, { retryClampMs: { min: 10, max: 60_000 } });
    await s.connect();
    const rc = await waitFor(s, 'reconnect');
    assert.equal(rc.delayMs, 60_000);
    await s.close();
    await closedWithin(s, 2000); // the wait is 60 s: only an immediate close passes
    assert.equal(s.state, 'closed');
    assert.equal(requestsTo(r.path).length, 1);
  });

  it('close() while the stream is open ends it and resolves closed', async () => {
    const r = route((_req, res) => {
      sseHead(res);
      res.write('data: hi\n\n');
    });
    const s = session(r.url);
    await s.connect();
    await s.close();
    await closedWithin(s, 2000);
    const close = all(s, 'close').at(-1)!;
    assert.equal(close.by, 'client');
  });

  it('close() from a message listener in the middle of a chunk neither throws nor loses what was logged', async () => {
    // Several events with ids in ONE chunk: the listener closes on the first, the rest of the
    // chunk is still being parsed (regression: enqueueing into the cancelled body threw).
    const r = route((_req, res) => {
      sseHead(res);
      setTimeout(() => res.write('id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n'), 20);
    });
    const s = session(r.url);
    const uncaught: Error[] = [];
    const onUncaught = (e: Error) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      s.onEvent((ev) => {
        if (ev.type === 'message' && ev.direction === 'in') void s.close();
      });
      await s.connect();
      await closedWithin(s, 2000);
      await new Promise((res) => setTimeout(res, 50));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    assert.deepEqual(uncaught, []);
    assert.ok(all(s, 'message').length >= 1, 'the first event is kept');
    assert.equal(all(s, 'state').at(-1)?.state, 'closed');
  });

  it('send() posts to sendUrl as a separate HTTP request', async () => {
    const stream = route((_req, res) => {
      sseHead(res);
      res.write('data: ready\n\n');
    });
    const sink = route((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}'));
    const s = session(stream.url, { sendUrl: sink.url, headers: [['X-Client', 'inspector-test']] });
    await s.connect();
    await s.send('{"type":"chat","text":"hello"}');
    const [post] = requestsTo(sink.path);
    assert.equal(post.method, 'POST');
    assert.equal(post.body, '{"type":"chat","text":"hello"}');
    assert.equal(post.headers['content-type'], 'application/json');
    assert.equal(post.headers['x-client'], 'inspector-test');
    const out = all(s, 'message').find((m) => m.direction === 'out');
    assert.equal(out?.data, '{"type":"chat","text":"hello"}');
    assert.ok(all(s, 'request').some((q) => q.purpose === 'send'));
  });

  it('send() without a sendUrl explains what to do', async () => {
    const r = route((_req, res) => sseHead(res));
    const s = session(r.url);
    await s.connect();
    await assert.rejects(s.send('x'), /No send URL set/);
  });

  it('rejects subprotocol and first-message auth with a clear ConnectError, before any request', async () => {
    const r = route((_req, res) => sseHead(res));
    for (const auth of [
      { method: 'subprotocol', token: 'tok-abcdef' },
      { method: 'first-message', token: 'tok-abcdef' },
      { method: 'token-url', url: origin + '/token-nowhere', placement: 'first-message' },
    ] as const) {
      const s = session(r.url, { auth });
      const err = await rejection(s.connect());
      assert.equal(err.code, 'AUTH_NOT_APPLICABLE');
      assert.match(err.message, auth.method === 'subprotocol' ? /Sec-WebSocket-Protocol only exists for WebSocket/ : /First-message auth cannot protect an event stream/);
      assert.ok(all(s, 'error').some((e) => e.fatal && e.code === 'AUTH_NOT_APPLICABLE'));
      await closedWithin(s);
    }
    assert.equal(requestsTo(r.path).length, 0);
  });
});

describe('SseSession auth placements', () => {
  const TOKEN = 'sk-live-2f9c1d7e8b6a4c3d';

  /** A stream that says what credential arrived, and echoes the token back in one event. */
  function authStream(check: (req: http.IncomingMessage, u: URL) => string | undefined): { path: string; url: string } {
    return route((req, res) => {
      const got = check(req, new URL(req.url ?? '/', origin));
      if (!got) return void res.writeHead(401, { 'Content-Type': 'text/plain' }).end('no credential');
      sseHead(res);
      res.write(`event: whoami\ndata: authorized with ${got}\n\n`);
    });
  }

  const cases: Array<{ name: string; auth: ConnectOptions['auth']; check: (req: http.IncomingMessage, u: URL) => string | undefined }> = [
    { name: 'query', auth: { method: 'query', param: 'access_token', token: TOKEN }, check: (_r, u) => (u.searchParams.get('access_token') === TOKEN ? TOKEN : undefined) },
    { name: 'bearer', auth: { method: 'bearer', token: TOKEN }, check: (r) => (r.headers.authorization === `Bearer ${TOKEN}` ? TOKEN : undefined) },
    { name: 'cookie', auth: { method: 'cookie', name: 'session', value: TOKEN }, check: (r) => (r.headers.cookie === `session=${TOKEN}` ? TOKEN : undefined) },
    { name: 'header', auth: { method: 'header', name: 'X-Stream-Key', value: TOKEN }, check: (r) => (r.headers['x-stream-key'] === TOKEN ? TOKEN : undefined) },
  ];

  for (const c of cases) {
    it(`${c.name}: reaches the server, and the token never shows in the log unless showSecrets`, async () => {
      const r = authStream(c.check);
      const s = session(r.url, { auth: c.auth });
      await s.connect();
      const msg = await waitFor(s, 'message', (m) => m.sse?.event === 'whoami');
      assert.equal(msg.redacted, true, 'an event that echoes the token is redacted');
      assert.ok(all(s, 'auth').some((a) => a.method === c.name));
      const json = JSON.stringify([...s.log]);
      assert.ok(!json.includes(TOKEN), `token leaked into the log: ${json}`);
      assert.ok(json.includes('«redacted'));

      const open = session(r.url, { auth: c.auth, showSecrets: true });
      await open.connect();
      await waitFor(open, 'message', (m) => m.sse?.event === 'whoami');
      assert.ok(JSON.stringify([...open.log]).includes(TOKEN), 'showSecrets shows the token');
    });
  }

  it('token-url: fetches a short-lived token, places it, and fetches a fresh one on reconnect', async () => {
    let issued = 0;
    const tokens: string[] = [];
    const tokenRoute = route((_req, res) => {
      const t = `short-lived-token-${++issued}-${'q'.repeat(12)}`;
      tokens.push(t);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: t, token_type: 'Bearer', expires_in: 60 }));
    });
    const r = route((req, res, n) => {
      if (req.headers.authorization !== `Bearer ${tokens.at(-1)}`) return void res.writeHead(401).end();
      sseHead(res);
      if (n === 1) res.end('retry: 0\n\ndata: first\n\n');
      else res.write('data: second\n\n');
    });
    const s = session(r.url, { auth: { method: 'token-url', url: tokenRoute.url }, retryClampMs: { min: 10, max: 50 } });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'second');
    assert.equal(issued, 2);
    assert.deepEqual(
      all(s, 'request').map((q) => q.purpose),
      ['token', 'sse', 'token', 'sse'],
    );
    // Per connect: where the token came from, then where it was put.
    assert.deepEqual(
      all(s, 'auth').map((a) => a.method),
      ['token-url', 'bearer', 'token-url', 'bearer'],
    );
    assert.equal(all(s, 'auth')[0].ttlSeconds, 60);
    const json = JSON.stringify([...s.log]);
    for (const t of tokens) assert.ok(!json.includes(t), 'fetched token leaked into the log');
  });
});

describe('SseSession against a third-party SSE server (faye-websocket EventSource)', () => {
  it('reads its CRLF stream, comments and retry, and reconnects with Last-Event-ID it understands', async () => {
    const FayeWebSocket = loadFaye();
    const lastIds: string[] = [];
    const streams: FayeEventSource[] = [];
    const faye = http.createServer((req, res) => {
      if (!FayeWebSocket.EventSource.isEventSource(req)) return void res.writeHead(404).end();
      const es = new FayeWebSocket.EventSource(req, res, { retry: 0.05, ping: 0.05 });
      streams.push(es);
      lastIds.push(es.lastEventId);
      const from = Number(es.lastEventId || 0);
      es.send(`update ${from + 1}`, { event: 'update', id: String(from + 1) });
      es.send(`multi\nline ${from + 2}`, { id: String(from + 2) });
      // The first stream ends after two events (once a ping went out); the second stays open.
      if (lastIds.length === 1) setTimeout(() => es.close(), 120);
    });
    const conns = new Set<Socket>();
    faye.on('connection', (c: Socket) => {
      conns.add(c);
      c.on('close', () => conns.delete(c));
    });
    await new Promise<void>((r) => faye.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      // Its ping timer only stops on close(); a client that vanished does not always stop it.
      for (const es of streams) es.close();
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => faye.close(() => r()));
    });
    const url = `http://127.0.0.1:${(faye.address() as { port: number }).port}/stream`;

    const s = session(url, { retryClampMs: { min: 10, max: 1000 } });
    await s.connect();
    await waitFor(s, 'message', (m) => m.sse?.id === '4');
    assert.deepEqual(lastIds, ['', '2']);
    const msgs = all(s, 'message');
    assert.deepEqual(
      msgs.map((m) => [m.data, m.sse?.event, m.sse?.id]),
      [
        ['update 1', 'update', '1'],
        ['multi\nline 2', 'message', '2'],
        ['update 3', 'update', '3'],
        ['multi\nline 4', 'message', '4'],
      ],
    );
    // faye frames with CRLF: "event: update\r\nid: 1\r\ndata: update 1\r\n\r\n".
    assert.equal(msgs[0].overheadBytes, Buffer.byteLength('event: update\r\nid: 1\r\ndata: \r\n\r\n'));
    assert.ok(all(s, 'retry').some((e) => e.raw === '50' && e.appliedMs === 50));
    assert.ok(all(s, 'comment').length >= 1, 'faye pings are comment lines');
    const rc = all(s, 'reconnect')[0];
    assert.equal(rc.lastEventId, '2');
    assert.equal(rc.delayMs, 50);
  });
});
