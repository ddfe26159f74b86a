import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { ConnectOptions } from '../../src/shared/options';
import { toNdjsonLine } from '../../src/shared/serialize';
import { ShortPollSession } from '../../src/transports/polling';
import type { Session } from '../../src/transports/session';
import { TestServer, closeTestServers, type Seen } from '../helpers/httpTestServer';
import { connectError, count, eventsOf, untilEvents } from '../helpers/session';

const sessions: Session[] = [];

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await closeTestServers();
});

function poll(opts: Partial<ConnectOptions> & { url: string }): ShortPollSession {
  const s = new ShortPollSession({ transport: 'poll', ...opts });
  sessions.push(s);
  return s;
}


const TOKEN = 'tok_0123456789abcdefSECRET';

// ---------- tests ----------

describe('ShortPollSession', () => {
  it('waits the interval from the end of one poll to the start of the next, and never overlaps, even when answers are slower than the interval', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      setTimeout(() => res.end(`body ${s.i}`), 120);
    });
    const session = poll({ url: srv.base + '/slow', intervalMs: 60 });
    await session.connect();
    assert.equal(session.state, 'open');
    await srv.until(() => srv.seen.length >= 4 && srv.seen[3].endT !== undefined, '4 answered polls');
    await session.close();

    assert.equal(srv.maxInFlight, 1, 'two polls were in flight at once');
    for (let i = 1; i < srv.seen.length; i++) {
      const gap = srv.seen[i].t - (srv.seen[i - 1].endT ?? Infinity);
      // Lower bound only: the client waits 60 ms after reading the answer, which the server finished earlier.
      assert.ok(gap >= 55, `poll ${i} started ${gap.toFixed(1)} ms after the previous answer, less than the 60 ms interval`);
    }
    const slow = eventsOf(session, 'info').filter((e) => e.key === 'slow-poll');
    assert.equal(slow.length, 1, 'a poll slower than the interval is logged, once');
    assert.match(slow[0].message, /longer than the 60 ms interval/);
    const polls = eventsOf(session, 'poll');
    assert.ok(polls.length >= 3);
    assert.ok(polls.every((p) => p.outcome === 'data' && p.reason === 'new'));
  });

  it('a poll answer quoting the token back is logged masked, marked redacted', async () => {
    const token = 'poll-echo-token-0123456789';
    const srv = await TestServer.start((req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ echo: req.headers.authorization })));
    const session = poll({ url: srv.base + '/p', intervalMs: 20, auth: { method: 'bearer', token } });
    await session.connect();
    const msg = eventsOf(session, 'message').find((m) => m.direction === 'in');
    assert.ok(msg, 'the answer is logged');
    assert.equal(msg.redacted, true);
    assert.match(String(msg.data), /«redacted …6789»/);
    assert.ok(!JSON.stringify(session.log.slice()).includes(token));
  });

  it('sends If-None-Match after an ETag and classifies 304 as unchanged', async () => {
    const srv = await TestServer.start((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { ETag: '"v1"' }).end();
        return;
      }
      res.writeHead(200, { ETag: '"v1"', 'Content-Type': 'application/json' }).end('{"v":1}');
    });
    const session = poll({ url: srv.base + '/etag', intervalMs: 10 });
    await session.connect();
    await untilEvents(session, () => count(session, 'poll') >= 3, '3 polls');
    await session.close();

    assert.equal(srv.seen[0].headers['if-none-match'], undefined, 'the first poll has no validator yet');
    assert.equal(srv.seen[1].headers['if-none-match'], '"v1"');
    const polls = eventsOf(session, 'poll');
    assert.deepEqual(
      polls.slice(0, 3).map((p) => [p.outcome, p.reason]),
      [
        ['data', 'new'],
        ['unchanged', '304'],
        ['unchanged', '304'],
      ],
    );
    const msgs = eventsOf(session, 'message');
    assert.equal(msgs.length, 1, 'a 304 carries no message');
    assert.equal(msgs[0].data, '{"v":1}');
    assert.equal(msgs[0].binary, false);
  });

  it('sends If-Modified-Since after Last-Modified', async () => {
    const lm = 'Wed, 21 Oct 2015 07:28:00 GMT';
    const srv = await TestServer.start((req, res) => {
      if (req.headers['if-modified-since'] === lm) res.writeHead(304).end();
      else res.writeHead(200, { 'Last-Modified': lm, 'Content-Type': 'text/plain' }).end('state');
    });
    const session = poll({ url: srv.base + '/lm', intervalMs: 10 });
    await session.connect();
    await untilEvents(session, () => count(session, 'poll') >= 2, '2 polls');
    await session.close();
    assert.equal(srv.seen[1].headers['if-modified-since'], lm);
    const p = eventsOf(session, 'poll')[1];
    assert.equal(p.outcome, 'unchanged');
    assert.equal(p.reason, '304');
  });

  it('classifies 204, an empty body and a repeated body as unchanged, and counts useless polls in stats', async () => {
    const script: Array<[number, string]> = [
      [200, 'a'],
      [200, 'a'],
      [204, ''],
      [200, ''],
      [200, 'b'],
    ];
    const srv = await TestServer.start((_req, res, s) => {
      const [status, body] = script[s.i] ?? [204, ''];
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
    });
    const session = poll({ url: srv.base + '/script', intervalMs: 5 });
    await session.connect();
    await untilEvents(session, () => count(session, 'poll') >= 6, '6 polls');
    await session.close();

    const polls = eventsOf(session, 'poll');
    assert.deepEqual(
      polls.slice(0, 6).map((p) => p.reason),
      ['new', 'same-body', '204', 'empty', 'new', '204'],
    );
    assert.deepEqual(
      eventsOf(session, 'message').map((m) => m.data),
      ['a', 'b'],
    );
    const unchanged = polls.filter((p) => p.outcome === 'unchanged').length;
    assert.equal(session.stats.polls, polls.length);
    assert.equal(session.stats.pollsUnchanged, unchanged);
    assert.equal(session.stats.pollsWithData, 2);
    assert.ok(session.stats.pollsUnchanged >= 4);
  });

  it('emits binary bodies as bytes, HTML as text data, and states each message\'s HTTP overhead', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 0) res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length }).end(bytes);
      else if (s.i === 1) {
        // Chunked: the chunk-size lines are overhead too.
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.write('hel');
        setTimeout(() => res.end('lo'), 5);
      } else res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<html><body>page ${s.i}</body></html>`);
    });
    const session = poll({ url: srv.base + '/mixed', intervalMs: 5 });
    await session.connect();
    await untilEvents(session, () => count(session, 'message') >= 3, '3 messages');
    await session.close();

    const [bin, chunked, html] = eventsOf(session, 'message');
    const reqOf = (id: number | undefined) => eventsOf(session, 'request').find((r) => r.requestId === id)!;
    const resOf = (id: number | undefined) => eventsOf(session, 'response').find((r) => r.requestId === id)!;

    assert.equal(bin.binary, true);
    assert.ok(bin.data instanceof Uint8Array);
    assert.deepEqual([...(bin.data as Uint8Array)], [...bytes]);
    assert.equal(bin.size, 5);
    assert.equal(bin.direction, 'in');
    assert.equal(bin.overheadBytes, reqOf(bin.requestId).headerBytes + resOf(bin.requestId).headerBytes, 'content-length body: overhead is exactly the headers');

    assert.equal(chunked.data, 'hello');
    assert.equal(chunked.binary, false);
    const headersOnly = reqOf(chunked.requestId).headerBytes + resOf(chunked.requestId).headerBytes;
    assert.ok(chunked.overheadBytes! > headersOnly, `chunk framing counted: ${chunked.overheadBytes} > ${headersOnly}`);

    assert.equal(html.binary, false);
    assert.match(html.data as string, /^<html>/);
    assert.equal(eventsOf(session, 'poll').find((p) => p.requestId === html.requestId)?.outcome, 'data', 'HTML on a 200 is data, not an error');
  });

  it('backs off with growing delays on 5xx after open, without a tight loop, and recovers to the interval', async () => {
    let failing = false;
    let n = 0;
    const srv = await TestServer.start((_req, res) => {
      if (failing) res.writeHead(503, { 'Content-Type': 'text/plain' }).end('down for maintenance');
      else res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`ok ${n++}`);
    });
    const session = poll({ url: srv.base + '/flaky', intervalMs: 10, reconnect: { initialDelayMs: 40, maxDelayMs: 5000 } });
    await session.connect();
    failing = true;
    const firstFailing = srv.seen.length;
    await untilEvents(session, () => count(session, 'reconnect') >= 4, '4 reconnect events');
    const failedRequests = srv.seen.length - firstFailing;
    const reconnects = eventsOf(session, 'reconnect');
    // Each wait ends in one request: 4 waits mean 4 failed polls and at most one more in flight.
    assert.ok(failedRequests <= 5, `${failedRequests} requests during 4 backoff waits: a tight loop`);
    assert.deepEqual(
      reconnects.map((r) => r.attempt),
      [1, 2, 3, 4],
    );
    for (let k = 0; k < reconnects.length; k++) {
      const d = reconnects[k].delayMs;
      const cap = 40 * 2 ** k;
      assert.ok(d >= Math.max(10, cap / 2) && d <= cap, `attempt ${k + 1}: delay ${d} not in [${cap / 2}, ${cap}]`);
      if (k > 0) assert.ok(d >= reconnects[k - 1].delayMs, 'delays grow');
      assert.match(reconnects[k].reason, /503/);
    }
    const errs = eventsOf(session, 'error');
    assert.ok(errs.length >= 4 && errs.every((e) => !e.fatal && e.code === 'HTTP_STATUS'));
    assert.match(errs[0].detail ?? '', /down for maintenance/);
    assert.ok(eventsOf(session, 'poll').some((p) => p.outcome === 'error' && p.reason === 'http-503'));
    assert.equal(session.state, 'open', 'errors after open do not end the session');

    failing = false;
    await untilEvents(session, (evs) => evs.some((e) => e.type === 'info' && e.key === 'recovered'), 'recovery');
    const reconnectsAtRecovery = count(session, 'reconnect');
    const pollsAtRecovery = count(session, 'poll');
    await untilEvents(session, () => count(session, 'poll') >= pollsAtRecovery + 3, '3 more polls');
    assert.equal(count(session, 'reconnect'), reconnectsAtRecovery, 'no backoff once polls succeed again');
  });

  it('gives up with a fatal error after reconnect.maxAttempts failed polls in a row', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 0) res.end('ok');
      else res.writeHead(500).end('broken');
    });
    const session = poll({ url: srv.base + '/dies', intervalMs: 5, reconnect: { initialDelayMs: 10, maxAttempts: 2 } });
    await session.connect();
    await session.closed;
    assert.equal(session.state, 'closed');
    assert.equal(srv.seen.length, 4, 'the first poll, then 2 retried failures and the one that gives up');
    assert.equal(count(session, 'reconnect'), 2);
    const fatal = eventsOf(session, 'error').filter((e) => e.fatal);
    assert.equal(fatal.length, 1);
    assert.equal(fatal[0].code, 'GAVE_UP');
    assert.match(fatal[0].message, /^Gave up after 3 failed polls in a row \(reconnect\.maxAttempts is 2\); last: HTTP 500 Internal Server Error\.$/);
    assert.deepEqual(
      eventsOf(session, 'state').map((e) => e.state),
      ['connecting', 'open', 'closing', 'closed'],
    );
    assert.equal(eventsOf(session, 'close')[0]?.by, 'network');
  });

  it('treats a poll without an answer within timeoutMs as a timeout and backs off', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 1) return; // never answers
      res.end(`ok ${s.i}`);
    });
    const session = poll({ url: srv.base + '/hang', intervalMs: 10, timeoutMs: 150, reconnect: { initialDelayMs: 20 } });
    await session.connect();
    await untilEvents(session, () => eventsOf(session, 'poll').some((p) => p.outcome === 'data' && p.requestId > 2), 'data after the timeout');
    await session.close();
    const polls = eventsOf(session, 'poll');
    assert.equal(polls[1].outcome, 'timeout');
    assert.equal(polls[1].reason, 'timeout');
    const rc = eventsOf(session, 'reconnect');
    assert.equal(rc.length, 1);
    assert.match(rc[0].reason, /no answer within 150 ms/);
    assert.ok(srv.seen[1].aborted, 'the timed-out request was aborted');
    assert.equal(eventsOf(session, 'error').length, 0, 'a client timeout is a poll outcome, not a network error');
  });

  it('rejects with a ConnectError naming the status and the start of the body when the first poll gets an HTML 502', async () => {
    const srv = await TestServer.start((_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>');
    });
    const session = poll({ url: srv.base + '/gw' });
    const err = await connectError(session);
    assert.equal(err.code, 'HTTP_STATUS');
    assert.match(err.message, /^The server answered 502 Bad Gateway to the first poll \(text\/html\): <html><head><title>502 Bad Gateway/);
    const fatal = eventsOf(session, 'error').filter((e) => e.fatal);
    assert.equal(fatal.length, 1);
    assert.equal(fatal[0].message, err.message);
    assert.equal(session.state, 'closed');
    await session.closed;
    assert.equal(srv.seen.length, 1, 'no retry after a failed first poll');
  });

  it('reports a 401 on the first poll as an auth rejection, without the token', async () => {
    const srv = await TestServer.start((req, res) => {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end(`invalid token: ${String(req.headers.authorization).slice(7)}`);
    });
    const session = poll({ url: srv.base + '/private', auth: { method: 'bearer', token: TOKEN } });
    const err = await connectError(session);
    assert.equal(err.code, 'AUTH_REJECTED');
    assert.match(err.message, /^The server rejected the credential: 401 Unauthorized \(text\/plain\): invalid token: «redacted/);
    assert.ok(!err.message.includes(TOKEN));
    assert.ok(!session.log.slice().map(toNdjsonLine).join('\n').includes(TOKEN), 'token in the log');

    const anon = poll({ url: srv.base + '/private' });
    const err2 = await connectError(anon);
    assert.equal(err2.code, 'AUTH_REQUIRED');
    assert.match(err2.message, /sends none: 401 Unauthorized/);
  });

  it('fails clearly when the connection is refused', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const session = poll({ url: `http://127.0.0.1:${port}/` });
    const err = await connectError(session);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.match(err.message, /^The first poll failed: Connection refused by 127\.0\.0\.1:\d+/);
    assert.equal(eventsOf(session, 'poll')[0]?.reason, 'network');
    assert.ok(eventsOf(session, 'error').some((e) => e.fatal && e.code === 'ECONNREFUSED'));
  });

  it('rejects a bad URL and a bad interval before any request', async () => {
    const e1 = await connectError(poll({ url: 'not a url' }));
    assert.equal(e1.code, 'BAD_URL');
    const e2 = await connectError(poll({ url: 'ws://127.0.0.1:1/' }));
    assert.match(e2.message, /http: or https:/);
    const e3 = await connectError(poll({ url: 'http://127.0.0.1:1/', intervalMs: -5 }));
    assert.equal(e3.code, 'BAD_OPTION');
  });

  it('puts each auth placement where the server expects it, and keeps the token out of the log unless showSecrets', async () => {
    const FETCHED = 'short_lived_9876543210ZYXW';
    const srv = await TestServer.start((req, res) => {
      if (req.url?.startsWith('/token')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: FETCHED, expires_in: 60 }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
    const cases: Array<{ auth: ConnectOptions['auth']; check: (s: Seen) => void; secret: string }> = [
      { auth: { method: 'query', param: 'access_token', token: TOKEN }, secret: TOKEN, check: (s) => assert.equal(new URL(s.url, srv.base).searchParams.get('access_token'), TOKEN) },
      { auth: { method: 'bearer', token: TOKEN }, secret: TOKEN, check: (s) => assert.equal(s.headers.authorization, `Bearer ${TOKEN}`) },
      { auth: { method: 'cookie', name: 'session_id', value: TOKEN }, secret: TOKEN, check: (s) => assert.equal(s.headers.cookie, `session_id=${TOKEN}`) },
      { auth: { method: 'header', name: 'X-Api-Key', value: TOKEN }, secret: TOKEN, check: (s) => assert.equal(s.headers['x-api-key'], TOKEN) },
      { auth: { method: 'token-url', url: srv.base + '/token', placement: 'bearer' }, secret: FETCHED, check: (s) => assert.equal(s.headers.authorization, `Bearer ${FETCHED}`) },
    ];
    for (const c of cases) {
      const before = srv.polls.length;
      const session = poll({ url: srv.base + '/data', auth: c.auth });
      await session.connect();
      await session.close();
      const first = srv.polls[before];
      assert.ok(first, `${c.auth?.method}: no poll reached the server`);
      c.check(first);
      const log = session.log.slice().map(toNdjsonLine).join('\n');
      assert.ok(!log.includes(c.secret), `${c.auth?.method}: the token is in the log`);
      assert.ok(log.includes('«redacted'), `${c.auth?.method}: no redaction marker`);
      assert.ok(eventsOf(session, 'auth').length >= 1, `${c.auth?.method}: no auth event`);
    }

    const shown = poll({ url: srv.base + '/data', auth: { method: 'bearer', token: TOKEN }, showSecrets: true });
    await shown.connect();
    await shown.close();
    assert.ok(shown.log.slice().map(toNdjsonLine).join('\n').includes(TOKEN), 'showSecrets shows the token');
  });

  it('refuses subprotocol auth for polling with a clear ConnectError', async () => {
    const srv = await TestServer.start((_req, res) => res.end('ok'));
    const session = poll({ url: srv.base + '/', auth: { method: 'subprotocol', token: TOKEN } });
    const err = await connectError(session);
    assert.equal(err.code, 'AUTH_NOT_APPLICABLE');
    assert.match(err.message, /only works with WebSocket/);
    assert.ok(eventsOf(session, 'error').some((e) => e.fatal && e.message === err.message));
    assert.equal(srv.seen.length, 0);
  });

  it('sends first-message auth to the send URL once open, and refuses it without a send URL', async () => {
    const srv = await TestServer.start((req, res) => res.end(req.method === 'POST' ? 'accepted' : 'data'));
    const session = poll({ url: srv.base + '/feed', sendUrl: srv.base + '/send', intervalMs: 5000, auth: { method: 'first-message', token: TOKEN } });
    await session.connect();
    assert.deepEqual(
      srv.seen.map((s) => `${s.method} ${s.url}`),
      ['GET /feed', 'POST /send'],
      'the credential is sent right after the first poll, before connect() resolves',
    );
    assert.deepEqual(JSON.parse(srv.seen[1].body), { type: 'auth', token: TOKEN });
    const out = eventsOf(session, 'message').filter((m) => m.direction === 'out');
    assert.equal(out.length, 1);
    assert.ok(!String(out[0].data).includes(TOKEN), 'the sent credential is redacted in the log');
    assert.equal(out[0].redacted, true);

    const none = poll({ url: srv.base + '/feed', auth: { method: 'first-message', token: TOKEN } });
    const err = await connectError(none);
    assert.equal(err.code, 'AUTH_NO_SEND_URL');
    assert.match(err.message, /no send URL is set/);
  });

  it('close() during a poll stops at once: the request is aborted and no poll follows', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 0) res.end('first');
      // later polls are never answered
    });
    const session = poll({ url: srv.base + '/stuck', intervalMs: 10, timeoutMs: 30_000 });
    await session.connect();
    await srv.until(() => srv.seen.length >= 2, 'the second poll');
    await session.close();
    await session.closed;
    await srv.until(() => srv.seen[1].aborted, 'the held request closed by the client');
    assert.equal(session.state, 'closed');
    const states = eventsOf(session, 'state').map((e) => e.state);
    assert.deepEqual(states.slice(-3), ['open', 'closing', 'closed']);
    const close = eventsOf(session, 'close');
    assert.equal(close.length, 1);
    assert.equal(close[0].by, 'client');
    const seenAtClose = srv.seen.length;
    const lastSeq = session.log.slice().at(-1)!.seq;
    // Give a would-be next poll (10 ms interval) ample time to show up.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(srv.seen.length, seenAtClose, 'a poll was sent after close()');
    assert.equal(session.log.slice().at(-1)!.seq, lastSeq, 'events were logged after close()');
  });

  it('send() posts to the send URL with the session credential', async () => {
    const srv = await TestServer.start((req, res) => res.end(req.method === 'POST' ? 'ok' : 'feed'));
    const session = poll({ url: srv.base + '/feed', sendUrl: srv.base + '/send', intervalMs: 5000, auth: { method: 'query', param: 'key', token: TOKEN } });
    await session.connect();
    await session.send('{"hello":1}');
    const post = srv.seen.find((s) => s.method === 'POST')!;
    assert.equal(post.body, '{"hello":1}');
    assert.equal(new URL(post.url, srv.base).searchParams.get('key'), TOKEN, 'query credential carried on the send URL');
    assert.equal(post.headers['content-type'], 'application/json');
    const out = eventsOf(session, 'message').find((m) => m.direction === 'out')!;
    assert.equal(out.data, '{"hello":1}');
    await session.close();
    await assert.rejects(session.send('late'), /closed/);
  });
});
