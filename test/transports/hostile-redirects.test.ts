/**
 * Hostile and broken endpoints, part 3: redirects for SSE and polling (WebSocket's are in
 * websocket.test.ts), with each auth method. No credential of any kind reaches another origin:
 * not followed by default; with redirects "all" followed with every carrier stripped; the
 * chain is logged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransportKind } from '../../src/shared/events';
import type { AuthConfig, ConnectOptions } from '../../src/shared/options';
import { assertCleanFailure, assertNoSecret, connectFails, events, httpServer, open, token, waitFor, type HttpServer } from './hostile-helpers';

type HttpTransport = Exclude<TransportKind, 'ws'>;
const HTTP_TRANSPORTS: HttpTransport[] = ['sse', 'poll', 'long-poll'];

/** Answers the way each transport expects, so a followed redirect opens the session. */
function answer(transport: HttpTransport, res: import('node:http').ServerResponse, text: string): void {
  if (transport === 'sse') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(`data: ${text}\n\n`);
  } else if (transport === 'long-poll') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ messages: [text] }));
  } else {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(text);
  }
}

interface Carrier {
  name: string;
  auth: (secret: string, a: HttpServer) => AuthConfig;
  /** Other secrets the method involves (token endpoint client secret). */
  extra?: string;
}

const CLIENT_SECRET = `cs_${token()}`;

const CARRIERS: Carrier[] = [
  { name: 'query parameter', auth: (t) => ({ method: 'query', param: 'access_token', token: t }) },
  { name: 'query parameter with a plain name', auth: (t) => ({ method: 'query', param: 'k', token: t }) },
  { name: 'bearer header', auth: (t) => ({ method: 'bearer', token: t }) },
  { name: 'cookie', auth: (t) => ({ method: 'cookie', name: 'sid', value: t }) },
  { name: 'custom header', auth: (t) => ({ method: 'header', name: 'X-Custom-Auth', value: t }) },
  {
    name: 'token-url placed as query',
    extra: CLIENT_SECRET,
    auth: (_t, a) => ({ method: 'token-url', url: `${a.origin}/token`, body: JSON.stringify({ client_secret: CLIENT_SECRET }), placement: 'query', name: 'k' }),
  },
  { name: 'token-url placed as bearer', extra: CLIENT_SECRET, auth: (_t, a) => ({ method: 'token-url', url: `${a.origin}/token`, body: JSON.stringify({ client_secret: CLIENT_SECRET }) }) },
];

/** Origin A redirects /stream across origins to B, copying the token into the Location as a careless server might. */
async function servers(transport: HttpTransport, secret: string) {
  const b = await httpServer((_req, res) => answer(transport, res, 'landed on B'));
  const a = await httpServer((req, res) => {
    if (req.url === '/token') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: secret, expires_in: 60 }));
    if (req.url?.startsWith('/old')) return void res.writeHead(307, { Location: '/new' }).end();
    if (req.url?.startsWith('/new')) return answer(transport, res, 'landed on A');
    res.writeHead(302, { Location: `${b.origin}/landing?keep=1&k=${secret}&access_token=${secret}`, 'Content-Type': 'text/html' }).end(`<a href="${b.origin}/landing">moved</a>`);
  });
  return { a, b };
}

const EXTRA_HEADERS: ConnectOptions['headers'] = [
  ['X-Api-Key', 'apikey-do-not-forward'],
  ['X-Trace', 'keep-me'],
];

describe('hostile: cross-origin redirects, SSE and polling, every auth method', () => {
  for (const transport of HTTP_TRANSPORTS) {
    for (const c of CARRIERS) {
      it(`${transport}, ${c.name}: with redirects "all" B gets no credential; by default B gets nothing`, async () => {
        const secret = token();
        const { a, b } = await servers(transport, secret);
        const secrets = [secret, 'apikey-do-not-forward', ...(c.extra ? [c.extra] : [])];

        const s = open(transport, `${a.origin}/stream`, { auth: c.auth(secret, a), redirects: 'all', headers: EXTRA_HEADERS, intervalMs: 60_000 });
        await s.connect();
        await waitFor(s, 'message', (m) => m.direction === 'in' && String(m.data).includes('landed on B'));
        const r = events(s, 'redirect')[0];
        assert.deepEqual([r.status, r.crossOrigin, r.followed], [302, true, true]);
        assert.ok(r.from.startsWith(`${a.origin}/stream`), r.from);
        assert.ok(r.to.startsWith(`${b.origin}/landing?keep=1`), r.to);
        assert.ok(r.stripped.includes('X-Api-Key header'), r.stripped.join(', '));
        assert.ok(r.stripped.some((x) => /query parameter/.test(x)), `the copied token is stripped from the Location: ${r.stripped.join(', ')}`);
        const seen = b.requests[0];
        assert.equal(new URL(seen.url, b.origin).searchParams.get('keep'), '1');
        assert.equal(seen.headers['x-trace'], 'keep-me');
        for (const h of ['authorization', 'cookie', 'x-custom-auth', 'x-api-key']) assert.equal(seen.headers[h], undefined, `${h} reached B`);
        assert.ok(!JSON.stringify(b.requests).includes(secret), `the credential reached B: ${JSON.stringify(b.requests)}`);
        assertNoSecret(s, secrets);
        await s.close();
        const bSeen = b.requests.length;

        const strict = open(transport, `${a.origin}/stream`, { auth: c.auth(secret, a), headers: EXTRA_HEADERS });
        const err = await connectFails(strict);
        assert.match(err.message, /redirected \(302\) to another origin \(http:\/\/127\.0\.0\.1:\d+\/landing\?keep=1&.*\); not followed because redirects are limited to the same origin/);
        const r2 = events(strict, 'redirect')[0];
        assert.deepEqual([r2.crossOrigin, r2.followed], [true, false]);
        await assertCleanFailure(strict, err, secrets);
        assert.equal(b.requests.length, bSeen, 'B saw only the requests of the "all" session');
      });
    }
  }

  for (const transport of HTTP_TRANSPORTS) {
    it(`${transport}: a same-origin redirect keeps the credential and logs the hop`, async () => {
      const secret = token();
      const { a } = await servers(transport, secret);
      const s = open(transport, `${a.origin}/old`, { auth: { method: 'bearer', token: secret }, intervalMs: 60_000 });
      await s.connect();
      const r = events(s, 'redirect')[0];
      assert.deepEqual([r.status, r.crossOrigin, r.followed, r.stripped], [307, false, true, []]);
      const landed = a.requests.find((q) => q.url === '/new')!;
      assert.equal(landed.headers.authorization, `Bearer ${secret}`);
      assertNoSecret(s, [secret]);
    });
  }

  for (const transport of ['poll', 'long-poll'] as const) {
    it(`${transport}, first-message auth: a send URL redirecting across origins is not followed even with "all" (the body is the credential)`, async () => {
      const secret = token();
      const b = await httpServer((_req, res) => res.writeHead(200).end('ok'));
      const a = await httpServer((req, res) => {
        if (req.url === '/send') return void res.writeHead(307, { Location: `${b.origin}/send` }).end();
        answer(transport, res, 'hello');
      });
      const s = open(transport, `${a.origin}/poll`, { auth: { method: 'first-message', token: secret }, sendUrl: `${a.origin}/send`, redirects: 'all', intervalMs: 60_000 });
      const err = await connectFails(s);
      assert.match(err.message, /The first message \(the credential\) could not be sent to the send URL: .*redirected \(307\) to another origin .*not followed: the request body carries the credential/);
      const r = events(s, 'redirect').find((x) => x.status === 307)!;
      assert.deepEqual([r.crossOrigin, r.followed], [true, false]);
      assert.equal(b.requests.length, 0, 'the credential-bearing body never reached B');
      await assertCleanFailure(s, err, [secret]);
    });
  }
});
