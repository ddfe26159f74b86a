/**
 * The instrumented HTTP exchange (src/transports/http.ts) on its own, against a real server:
 * aborting through a signal shared by many requests, and the request/response events of a
 * repeated request (their header lists, byte counts and redaction).
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import type { ConnectOptions } from '../../src/shared/options';
import { httpRequest, readBody } from '../../src/transports/http';
import { ShortPollSession } from '../../src/transports/polling';
import { TestServer, closeTestServers } from '../helpers/httpTestServer';
import { eventsOf } from '../helpers/session';

const sessions: ShortPollSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await closeTestServers();
});

/** A session used only as the event sink (never connected). */
function sink(opts: Partial<ConnectOptions> = {}): ShortPollSession {
  const s = new ShortPollSession({ transport: 'poll', url: 'http://127.0.0.1:1/', ...opts });
  sessions.push(s);
  return s;
}

async function get(s: ShortPollSession, url: string, signal?: AbortSignal, headers?: Array<[string, string]>): Promise<string> {
  const ex = await httpRequest(s, { url: new URL(url), purpose: 'poll', agent: s.httpAgent(new URL(url)), signal, headers });
  const body = await readBody(ex.res);
  ex.finish();
  return body.toString();
}

describe('httpRequest abort signal', () => {
  it('one signal serves many requests with one abort listener, and still aborts the one in flight (before its headers and while its body is read)', async () => {
    let mode: 'ok' | 'hang' | 'half' = 'ok';
    const srv = await TestServer.start((_req, res) => {
      if (mode === 'ok') res.end('fine');
      else if (mode === 'half') {
        res.writeHead(200, { 'Content-Length': '100' });
        res.write('only part');
      }
    });
    const s = sink();
    const ctl = new AbortController();
    for (let i = 0; i < 20; i++) assert.equal(await get(s, srv.base + '/x', ctl.signal), 'fine');
    assert.ok(getEventListeners(ctl.signal, 'abort').length <= 1, `${getEventListeners(ctl.signal, 'abort').length} abort listeners after 20 requests`);

    mode = 'hang';
    const pending = get(s, srv.base + '/hang', ctl.signal);
    await srv.until(() => srv.seen.length === 21, 'the hanging request');
    ctl.abort();
    await assert.rejects(pending, (e: NodeJS.ErrnoException) => e.name === 'AbortError' && e.code === 'ABORT_ERR');
    const err = eventsOf(s, 'error').at(-1);
    assert.equal(err?.code, 'ABORT_ERR', 'the abort is logged as node:http logged it');

    mode = 'half';
    const ctl2 = new AbortController();
    const ex = await httpRequest(s, { url: new URL(srv.base + '/half'), purpose: 'poll', agent: s.httpAgent(new URL(srv.base)), signal: ctl2.signal, quietAbort: true });
    const body = readBody(ex.res);
    ctl2.abort();
    await assert.rejects(body);
    assert.equal(getEventListeners(ctl2.signal, 'abort').length, 0);
  });

  it('an already aborted signal fails the request without sending it', async () => {
    const srv = await TestServer.start((_req, res) => res.end('x'));
    const s = sink();
    await assert.rejects(get(s, srv.base + '/a', AbortSignal.abort()), (e: Error) => e.name === 'AbortError');
    assert.equal(srv.seen.length, 0);
  });
});

describe('request and response events of repeated requests', () => {
  it('log each request and response as it was on the wire, also when the response head changes between answers', async () => {
    const srv = await TestServer.start((_req, res, s) => {
      res.setHeader('X-Answer', s.i < 3 ? 'first' : 'later');
      res.end(`b${s.i}`);
    });
    const s = sink();
    for (let i = 0; i < 6; i++) await get(s, `${srv.base}/r${i % 2}?q=${i < 4 ? 'a' : 'b'}`);
    const reqs = eventsOf(s, 'request');
    const resps = eventsOf(s, 'response');
    assert.equal(reqs.length, 6);
    for (let i = 0; i < 6; i++) {
      const path = `/r${i % 2}?q=${i < 4 ? 'a' : 'b'}`;
      assert.equal(reqs[i].url, srv.base + path);
      const head = `GET ${path} HTTP/1.1\r\n${reqs[i].headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      assert.equal(reqs[i].headerBytes, Buffer.byteLength(head), `request ${i} header bytes`);
      assert.equal(srv.seen[i].url, path);
      const answer = resps[i].headers.find(([k]) => k.toLowerCase() === 'x-answer')?.[1];
      assert.equal(answer, i < 3 ? 'first' : 'later', `response ${i}`);
      const statusLine = `HTTP/1.1 ${resps[i].status} ${resps[i].statusText}\r\n`;
      assert.equal(resps[i].headerBytes, statusLine.length + resps[i].headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0) + 2, `response ${i} header bytes`);
    }
    assert.equal(s.stats.lastResponseHeaders['x-answer'], 'later');
    assert.equal(s.stats.firstResponseHeaders['x-answer'], 'first');
    assert.equal(s.stats.statusClasses['2xx'], 6);
    assert.equal(s.stats.responses, 6);
  });

  it('a secret learned mid-session is masked in the next request and response events, though the heads repeat', async () => {
    const secret = 'learned-later-0123456789';
    const srv = await TestServer.start((_req, res) => {
      res.setHeader('X-Echo', secret);
      res.end('ok');
    });
    const s = sink();
    const url = `${srv.base}/p?ref=${secret}`;
    const headers: Array<[string, string]> = [['X-Ref', secret]];
    await get(s, url, undefined, headers);
    await get(s, url, undefined, headers);
    s.redactor.add(secret);
    await get(s, url, undefined, headers);
    const reqs = eventsOf(s, 'request');
    const resps = eventsOf(s, 'response');
    for (const i of [0, 1]) {
      assert.ok(reqs[i].url.includes(secret));
      assert.equal(reqs[i].headers.find(([k]) => k === 'X-Ref')?.[1], secret);
      assert.equal(resps[i].headers.find(([k]) => k === 'X-Echo')?.[1], secret);
    }
    assert.ok(!reqs[2].url.includes(secret), reqs[2].url);
    assert.ok(reqs[2].url.includes('«redacted'));
    assert.equal(reqs[2].headers.find(([k]) => k === 'X-Ref')?.[1], '«redacted …6789»');
    assert.equal(resps[2].headers.find(([k]) => k === 'X-Echo')?.[1], '«redacted …6789»');
    assert.equal(reqs[2].headerBytes, reqs[1].headerBytes, 'bytes are counted on the wire, before redaction');
  });
});

describe('poll time limit', () => {
  it('a poll that hangs after many quick ones (one timer serving them all) still times out, and polling goes on', async () => {
    let hang = false;
    let hungAt = -1;
    const srv = await TestServer.start((_req, res, seen) => {
      if (hang && hungAt < 0) {
        hungAt = seen.i;
        return; // never answers
      }
      setTimeout(() => res.end(`ok ${seen.i}`), 5);
    });
    const session = new ShortPollSession({ transport: 'poll', url: srv.base + '/q', intervalMs: 0, timeoutMs: 100, reconnect: { initialDelayMs: 10 } });
    sessions.push(session);
    await session.connect();
    // Quick polls for longer than the time limit, so the limit's timer fires during them and waits again.
    await new Promise((r) => setTimeout(r, 250));
    hang = true;
    await srv.until(() => hungAt >= 0, 'the hanging poll');
    await srv.until(() => srv.seen.length > hungAt + 2, 'polls after the hanging one');
    await session.close();
    const polls = eventsOf(session, 'poll');
    const timeouts = polls.filter((p) => p.outcome === 'timeout');
    assert.equal(timeouts.length, 1, `one timeout; outcomes: ${polls.map((p) => p.outcome).join(',')}`);
    assert.equal(timeouts[0].requestId, hungAt + 1);
    assert.ok(srv.seen[hungAt].aborted, 'the timed-out request was aborted');
    assert.ok(polls.filter((p) => p.outcome === 'data').length > hungAt, 'no quick poll was cut short');
  });
});
