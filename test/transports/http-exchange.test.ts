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
