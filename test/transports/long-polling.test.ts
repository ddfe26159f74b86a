import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { attach, type Socket as EioSocket } from 'engine.io';
import type { ConnectOptions } from '../../src/shared/options';
import { LongPollSession } from '../../src/transports/polling';
import { ConnectError, type Session } from '../../src/transports/session';
import { TestServer, closeTestServers } from '../helpers/httpTestServer';
import { connectError, count, eventsOf, untilEvents } from '../helpers/session';

const servers: Array<{ close(): Promise<void> }> = [];
const sessions: Session[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  timers.splice(0).forEach(clearTimeout);
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await closeTestServers();
});

/** Server-side delay that afterEach cancels, so a held answer never outlives its test. */
function later(ms: number, fn: () => void): void {
  timers.push(setTimeout(fn, ms));
}

function longPoll(opts: Partial<ConnectOptions> & { url: string }): LongPollSession {
  const s = new LongPollSession({ transport: 'long-poll', ...opts });
  sessions.push(s);
  return s;
}


const json = (res: http.ServerResponse, body: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
  res.writeHead(200, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
};

// ---------- tests ----------

describe('LongPollSession', () => {
  it('answers quoting the token back are logged masked, in a batch and as a whole body', async () => {
    const token = 'lp-echo-token-0123456789';
    let n = 0;
    const srv = await TestServer.start((req, res) => {
      n++;
      if (n === 1) json(res, { messages: [{ seq: 1, auth: req.headers.cookie }] });
      else json(res, { plain: req.headers.cookie });
    });
    const s = longPoll({ url: srv.base + '/lp', auth: { method: 'cookie', name: 'sid', value: token } });
    await s.connect();
    await untilEvents(s, (evs) => evs.filter((e) => e.type === 'message').length >= 2, 'two answers');
    const msgs = eventsOf(s, 'message').filter((m) => m.direction === 'in');
    assert.ok(msgs.slice(0, 2).every((m) => m.redacted === true));
    assert.ok(!JSON.stringify(s.log.slice()).includes(token));
  });

  it('measures how long the server held each request and the gap before the next one', async () => {
    let seq = 0;
    const srv = await TestServer.start((_req, res) => later(200, () => json(res, { messages: [{ seq: ++seq, text: 'tick' }] })));
    const session = longPoll({ url: srv.base + '/lp' });
    await session.connect();
    assert.equal(session.state, 'open');
    await untilEvents(session, () => count(session, 'poll') >= 3, '3 answers');
    await session.close();

    const states = eventsOf(session, 'state').map((e) => e.state);
    assert.deepEqual(states, ['connecting', 'open', 'closing', 'closed']);
    const firstResponse = eventsOf(session, 'response')[0];
    const openAt = eventsOf(session, 'state').find((e) => e.state === 'open')!;
    assert.ok(openAt.seq > firstResponse.seq, 'open after the first answer');

    const polls = eventsOf(session, 'poll').slice(0, 3);
    for (const p of polls) {
      assert.equal(p.outcome, 'data');
      assert.ok(p.heldMs !== undefined && p.heldMs >= 180 && p.heldMs < 3000, `held ${p.heldMs} ms, expected about 200`);
      const timing = eventsOf(session, 'timing').find((t) => t.requestId === p.requestId)!;
      assert.equal(timing.heldMs, p.heldMs, 'the timing event carries the same held time');
    }
    assert.equal(polls[0].gapMs, undefined, 'no gap before the first request');
    for (const p of polls.slice(1)) {
      assert.ok(p.gapMs !== undefined && p.gapMs >= 0 && p.gapMs < 500, `gap ${p.gapMs} ms, expected small`);
    }
    // Server side: the next request arrives right after an answer.
    for (let i = 1; i < 3; i++) assert.ok(srv.seen[i].t - srv.seen[i - 1].endT! < 500);
    assert.deepEqual(session.stats.heldMs.length, count(session, 'poll'));
  });

  it('splits a JSON batch into one message per element, sharing out the HTTP overhead', async () => {
    const batch = [
      { seq: 1, text: 'a' },
      { seq: 2, text: 'bé' },
      { seq: 3, nested: { x: [1, 2] } },
    ];
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 0) json(res, { messages: batch });
      // later requests are held until the test ends
    });
    const session = longPoll({ url: srv.base + '/batch' });
    await session.connect();
    await session.close();

    const msgs = eventsOf(session, 'message');
    assert.deepEqual(
      msgs.map((m) => m.data),
      batch.map((b) => JSON.stringify(b)),
    );
    assert.deepEqual(
      msgs.map((m) => m.size),
      batch.map((b) => Buffer.byteLength(JSON.stringify(b))),
    );
    const id = msgs[0].requestId;
    assert.ok(msgs.every((m) => m.requestId === id && m.direction === 'in' && !m.binary));
    const req = eventsOf(session, 'request').find((r) => r.requestId === id)!;
    const res = eventsOf(session, 'response').find((r) => r.requestId === id)!;
    const timing = eventsOf(session, 'timing').find((r) => r.requestId === id)!;
    const payload = msgs.reduce((n, m) => n + m.size, 0);
    const overhead = msgs.reduce((n, m) => n + (m.overheadBytes ?? 0), 0);
    assert.equal(overhead, req.headerBytes + res.headerBytes + timing.bodyWireBytes! - payload, 'headers + envelope, nothing lost or counted twice');
    const polls = eventsOf(session, 'poll');
    assert.equal(polls[0].outcome, 'data');
  });

  it('sends the cursor found at a JSON path of the last answer on the next request', async () => {
    const srv = await TestServer.start((_req, res, s) => later(20, () => json(res, { meta: { next: `c-${s.i}` }, messages: [{ n: s.i }] })));
    const session = longPoll({ url: srv.base + '/feed?x=1', cursor: { from: 'json', path: 'meta.next', param: 'since' } });
    await session.connect();
    await srv.until(() => srv.seen.length >= 3, '3 requests');
    await untilEvents(session, () => count(session, 'poll') >= 2, '2 polls');
    await session.close();

    const q = (i: number) => new URL(srv.seen[i].url, srv.base).searchParams;
    assert.equal(q(0).get('since'), null, 'no cursor before the first answer');
    assert.equal(q(1).get('since'), 'c-0');
    assert.equal(q(2).get('since'), 'c-1');
    assert.equal(q(2).get('x'), '1', 'the URL\'s own parameters are kept');
    const polls = eventsOf(session, 'poll');
    assert.equal(polls[0].cursor, undefined);
    assert.equal(polls[1].cursor, 'c-0');
  });

  it('sends the cursor from a response header on the next request', async () => {
    const srv = await TestServer.start((_req, res, s) => later(20, () => json(res, { messages: [{ n: s.i }] }, { 'X-Next-Cursor': `h${s.i}` })));
    const session = longPoll({ url: srv.base + '/feed', cursor: { from: 'header', path: 'X-Next-Cursor', param: 'after' } });
    await session.connect();
    await srv.until(() => srv.seen.length >= 3, '3 requests');
    await session.close();
    assert.equal(new URL(srv.seen[1].url, srv.base).searchParams.get('after'), 'h0');
    assert.equal(new URL(srv.seen[2].url, srv.base).searchParams.get('after'), 'h1');
  });

  it('reports messages missed when seq jumps, between polls and inside an answer', async () => {
    const answers = [[1, 2], [5], [6, 8]];
    const srv = await TestServer.start((_req, res, s) => {
      const seqs = answers[s.i];
      if (seqs) later(10, () => json(res, { messages: seqs.map((seq) => ({ seq, ts: Date.now() })) }));
    });
    const session = longPoll({ url: srv.base + '/lossy' });
    await session.connect();
    await untilEvents(session, () => count(session, 'message') >= 5, '5 messages');
    assert.equal(session.state, 'open', 'missed messages do not end the session');
    await session.close();

    const missed = eventsOf(session, 'error').filter((e) => e.code === 'MESSAGES_MISSED');
    assert.deepEqual(
      missed.map((e) => e.message),
      ['2 messages missed between polls (seq jumped from 2 to 5).', '1 message missed inside one answer (seq jumped from 6 to 8).'],
    );
    assert.ok(missed.every((e) => !e.fatal));
    assert.match(missed[0].detail ?? '', /no cursor/);
    const msgs = eventsOf(session, 'message');
    assert.ok(msgs.every((m) => m.latencyMs !== undefined && m.latencyMs >= 0 && m.latencyMs < 5000), 'latency from the ts field');
  });

  it('classifies 204, an empty body and an empty batch as unchanged (the server\'s hold timeout)', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      const answer = [
        () => res.writeHead(204).end(),
        () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(),
        () => json(res, { messages: [] }),
        () => json(res, { messages: [{ seq: 1 }] }),
      ][s.i];
      if (answer) later(80, answer);
    });
    const session = longPoll({ url: srv.base + '/quiet' });
    await session.connect();
    await untilEvents(session, () => count(session, 'poll') >= 4, '4 polls');
    await session.close();
    assert.deepEqual(
      eventsOf(session, 'poll').map((p) => `${p.outcome}/${p.reason}`),
      ['unchanged/204', 'unchanged/empty', 'unchanged/empty', 'data/new'],
    );
    assert.equal(session.stats.pollsUnchanged, 3);
    assert.equal(count(session, 'reconnect'), 0, 'held empty answers are normal: no backoff');
  });

  it('backs off when the server answers long polls at once with nothing, instead of a tight loop', async () => {
    const srv = await TestServer.start((_req, res) => res.writeHead(204).end());
    const session = longPoll({ url: srv.base + '/eager', reconnect: { initialDelayMs: 50, maxDelayMs: 5000 } });
    await session.connect();
    await untilEvents(session, () => count(session, 'reconnect') >= 3, '3 backoff waits');
    await session.close();
    // 3 tolerated quick answers, then one request per wait (+1 in flight at most).
    assert.ok(srv.seen.length <= 3 + 3 + 1, `${srv.seen.length} requests: a tight loop`);
    const rc = eventsOf(session, 'reconnect');
    assert.match(rc[0].reason, /without holding them/);
    assert.ok(rc[1].delayMs >= rc[0].delayMs && rc[2].delayMs >= rc[1].delayMs, 'growing waits');
  });

  it('aborts a request held past holdTimeoutMs, reports a timeout and asks again at once', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 0) json(res, { messages: [{ seq: 1 }] });
      else if (s.i === 2) later(30, () => json(res, { messages: [{ seq: 2 }] }));
      // request 1 (and 3+) are never answered
    });
    const session = longPoll({ url: srv.base + '/slow', holdTimeoutMs: 300 });
    await session.connect();
    await untilEvents(session, () => count(session, 'poll') >= 3, '3 polls');
    await srv.until(() => srv.seen[1].aborted, 'the timed-out request closed by the client');
    await session.close();

    const polls = eventsOf(session, 'poll');
    assert.equal(polls[1].outcome, 'timeout');
    assert.equal(polls[1].reason, 'timeout');
    assert.equal(polls[2].outcome, 'data');
    assert.ok(polls[2].gapMs !== undefined && polls[2].gapMs < 500, `re-requested at once (gap ${polls[2].gapMs} ms)`);
    assert.equal(count(session, 'reconnect'), 0, 'a hold timeout is not an error: no backoff');
    assert.equal(count(session, 'error'), 0);
    assert.equal(session.stats.pollsTimeout, 1);
  });

  it('close() during a held request returns at once and the server sees the socket closed', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 0) json(res, { messages: [{ seq: 1 }] });
    });
    const session = longPoll({ url: srv.base + '/held' });
    await session.connect();
    await srv.until(() => srv.seen.length >= 2, 'the held request');
    const t0 = performance.now();
    await session.close();
    await session.closed;
    const took = performance.now() - t0;
    assert.ok(took < 1000, `close() took ${took.toFixed(0)} ms`);
    await srv.until(() => srv.seen[1].aborted, 'the socket closed by the client');
    assert.equal(session.state, 'closed');
    assert.equal(eventsOf(session, 'close')[0]?.by, 'client');
    assert.equal(count(session, 'error'), 0, 'closing is not an error');
  });

  it('close() while the first long poll is held rejects connect() as closed, with no error logged', async () => {
    const srv = await TestServer.start(() => {
      // never answers
    });
    const session = longPoll({ url: srv.base + '/never' });
    const connecting = session.connect();
    await srv.until(() => srv.seen.length >= 1, 'the first request');
    assert.equal(session.state, 'connecting');
    await session.close();
    await assert.rejects(connecting, (e: unknown) => e instanceof ConnectError && e.code === 'CLOSED');
    await srv.until(() => srv.seen[0].aborted, 'the request closed by the client');
    assert.equal(count(session, 'error'), 0);
    assert.deepEqual(
      eventsOf(session, 'state').map((e) => e.state),
      ['connecting', 'closing', 'closed'],
    );
  });

  it('says so when the server answers long polls without ever holding them', async () => {
    let n = 0;
    const srv = await TestServer.start((_req, res) => json(res, { messages: [{ seq: ++n }] }));
    const session = longPoll({ url: srv.base + '/instant' });
    await session.connect();
    await untilEvents(session, (evs) => evs.some((e) => e.type === 'info' && e.key === 'not-held'), 'the not-held hint');
    await session.close();
    const hints = eventsOf(session, 'info').filter((e) => e.key === 'not-held');
    assert.equal(hints.length, 1, 'said once');
    assert.match(hints[0].message, /answered 20 long polls in a row without holding them/);
    assert.ok(srv.seen.length >= 20);
  });

  it('send() posts to the send URL and logs an outgoing message; a failed send says why', async () => {
    const srv = await TestServer.start((req, res, s) => {
      if (req.method === 'POST') {
        if (s.body === 'bad') res.writeHead(422, { 'Content-Type': 'text/plain' }).end('unprocessable: bad');
        else res.end('ok');
      } else if (s.i === 0) json(res, { messages: [] });
    });
    const session = longPoll({ url: srv.base + '/lp', sendUrl: srv.base + '/send', headers: [['X-Client', 'inspector']] });
    await session.connect();
    await session.send('hello server');
    const post = srv.seen.find((s) => s.method === 'POST')!;
    assert.equal(post.url, '/send');
    assert.equal(post.body, 'hello server');
    assert.equal(post.headers['x-client'], 'inspector');
    const out = eventsOf(session, 'message').filter((m) => m.direction === 'out');
    assert.equal(out.length, 1);
    assert.equal(out[0].data, 'hello server');
    await assert.rejects(session.send('bad'), /The send URL answered 422.*unprocessable: bad/);

    const noSend = longPoll({ url: srv.base + '/lp' });
    await assert.rejects(noSend.send('x'), /not connected yet/);
  });

  it('backs off with growing delays when long polls fail after open', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      if (s.i === 0) json(res, { messages: [{ seq: 1 }] });
      else res.writeHead(500, { 'Content-Type': 'text/plain' }).end('boom');
    });
    const session = longPoll({ url: srv.base + '/err', reconnect: { initialDelayMs: 40, maxDelayMs: 5000 } });
    await session.connect();
    await untilEvents(session, () => count(session, 'reconnect') >= 3, '3 reconnects');
    await session.close();
    const rc = eventsOf(session, 'reconnect');
    assert.ok(srv.seen.length <= 1 + 3 + 1, `${srv.seen.length} requests: a tight loop`);
    for (let k = 0; k < 3; k++) {
      const cap = 40 * 2 ** k;
      assert.ok(rc[k].delayMs >= cap / 2 && rc[k].delayMs <= cap, `attempt ${k + 1}: ${rc[k].delayMs} not in [${cap / 2}, ${cap}]`);
      assert.match(rc[k].reason, /500/);
    }
    assert.ok(eventsOf(session, 'poll').some((p) => p.outcome === 'error' && p.reason === 'http-500'));
  });

  it('fails to connect with a clear message when the first long poll is refused or rejected', async () => {
    const srv = await TestServer.start((_req, res) => res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"error":"forbidden"}'));
    const err = await connectError(longPoll({ url: srv.base + '/x', auth: { method: 'header', name: 'X-Token', value: 'abcdefgh12345678' } }));
    assert.equal(err.code, 'AUTH_REJECTED');
    assert.match(err.message, /^The server rejected the credential: 403 Forbidden \(application\/json\): \{"error":"forbidden"\}/);

    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const refused = await connectError(longPoll({ url: `http://127.0.0.1:${port}/` }));
    assert.equal(refused.code, 'ECONNREFUSED');
  });

  it('long-polls an engine.io server: packets logged per answer, held time measured, pong sent with send()', async () => {
    const http0 = http.createServer();
    const eio = attach(http0, { pingInterval: 1500, pingTimeout: 5000 });
    await new Promise<void>((r) => http0.listen(0, '127.0.0.1', r));
    servers.push({
      close: async () => {
        eio.close();
        http0.closeAllConnections();
        await new Promise<void>((r) => http0.close(() => r()));
      },
    });
    const received: string[] = [];
    let serverSocket: EioSocket | undefined;
    let serverClosed!: Promise<string>;
    eio.on('connection', (sock: EioSocket) => {
      serverSocket = sock;
      sock.on('message', (m: string | Buffer) => received.push(String(m)));
      serverClosed = new Promise((resolve) => sock.on('close', (reason: string) => resolve(reason)));
    });
    const base = `http://127.0.0.1:${(http0.address() as AddressInfo).port}/engine.io/?EIO=4&transport=polling`;

    // The handshake answer is an engine.io "open" packet: '0' + JSON. Its sid goes on every later request.
    const handshake = await new Promise<string>((resolve, reject) => {
      http.get(base, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    assert.equal(handshake[0], '0');
    const { sid } = JSON.parse(handshake.slice(1)) as { sid: string };
    assert.ok(serverSocket);

    // Queued while no poll is waiting: engine.io sends both in the next answer, separated by \x1e.
    serverSocket.send('queued-1');
    serverSocket.send('queued-2');

    const url = `${base}&sid=${encodeURIComponent(sid)}`;
    const session = longPoll({ url, sendUrl: url, holdTimeoutMs: 10_000 });
    await session.connect();
    await untilEvents(session, () => count(session, 'request') >= 2, 'the second long poll');
    later(200, () => serverSocket!.send('hello'));
    await untilEvents(session, () => eventsOf(session, 'message').some((m) => m.data === '4hello'), 'the hello packet');
    // engine.io pings after pingInterval (1500 ms): the held request answers with "2"; we answer pong "3" over POST.
    await untilEvents(session, () => eventsOf(session, 'message').some((m) => m.data === '2'), 'the ping packet');
    await session.send('3');
    await session.send('4from the inspector');
    assert.deepEqual(received, ['from the inspector']);

    const inbound = eventsOf(session, 'message').filter((m) => m.direction === 'in');
    assert.deepEqual(
      inbound.map((m) => m.data),
      ['4queued-1\x1e4queued-2', '4hello', '2'],
    );
    const polls = eventsOf(session, 'poll');
    const pollOf = (data: string) => polls.find((p) => p.requestId === inbound.find((m) => m.data === data)!.requestId)!;
    assert.ok(pollOf('4queued-1\x1e4queued-2').heldMs! < 1000, 'queued packets are answered without holding');
    const helloHeld = pollOf('4hello').heldMs!;
    assert.ok(helloHeld >= 180 && helloHeld < 1400, `hello held ${helloHeld} ms, expected about 200`);
    assert.ok(pollOf('2').heldMs! > 500, 'the ping answer was held until the ping interval');
    assert.ok(polls.every((p) => p.outcome === 'data'));
    assert.ok(eventsOf(session, 'request').every((r) => r.url.includes(`sid=${sid}`)));

    await session.close();
    // engine.io treats the aborted held poll as the transport going away ("poll connection closed prematurely").
    assert.equal(await serverClosed, 'transport error');
  });
});
