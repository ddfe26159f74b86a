/**
 * Hostile and broken endpoints, part 7: secrets. Servers that quote the credential back in
 * error pages, headers, URLs and payloads. Redacted in the log and in every error message by
 * default; `showSecrets` reveals them for that session only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransportKind } from '../../src/shared/events';
import type { AuthConfig } from '../../src/shared/options';
import { ALL, acceptUpgrade, assertCleanFailure, assertNoSecret, connectFails, events, frame, httpServer, open, rawServer, readHead, token, urlFor, waitFor } from './hostile-helpers';

/** Tokens with the characters that URL encoders disagree on (encodeURIComponent keeps ~!'()*, URLSearchParams does not). */
function awkwardToken(): string {
  return `${token()}~!'()*+/=$,;:@&`;
}

/** A 500 page that quotes the whole request back: URL, headers, everything. */
async function quotingServer(status = 500) {
  return rawServer((sock) => {
    void readHead(sock).then((head) => {
      const body = `<html><body><h1>Error</h1><pre>${head}</pre></body></html>`;
      sock.end(`HTTP/1.1 ${status} Oops\r\nContent-Type: text/html\r\nX-Echo: ${head.split('\r\n')[0]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
}

const AUTHS: Array<[string, (t: string) => AuthConfig, TransportKind[]]> = [
  ['query (plain parameter name)', (t) => ({ method: 'query', param: 'k', token: t }), ALL],
  ['bearer', (t) => ({ method: 'bearer', token: t }), ALL],
  ['cookie', (t) => ({ method: 'cookie', name: 'sid', value: t }), ALL],
  ['custom header', (t) => ({ method: 'header', name: 'X-Tenant-Key', value: t }), ALL],
];

describe('hostile: secrets in errors that quote the request', () => {
  for (const [name, auth, transports] of AUTHS) {
    it(`${name}: an error page quoting the URL and headers back; the message and the log show it redacted`, async () => {
      const srv = await quotingServer();
      for (const transport of transports) {
        const secret = awkwardToken();
        const s = open(transport, urlFor(transport, srv.origin, '/api/stream'), { auth: auth(secret) });
        const err = await connectFails(s);
        assert.match(err.message, /500/, `${transport}: ${err.message}`);
        assert.match(err.message + JSON.stringify([...s.log]), /«redacted/, `${transport}: the quoted credential is shown masked`);
        await assertCleanFailure(s, err, [secret]);
      }
    });
  }

  it('a token with characters URL encoders disagree on, in a plain-named query parameter, never shows in any encoding', async () => {
    const srv = await rawServer((sock) => void readHead(sock).then(() => sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok')));
    for (const transport of ['poll', 'ws'] as const) {
      const secret = awkwardToken();
      const s = open(transport, urlFor(transport, srv.origin, '/feed'), { auth: { method: 'query', param: 'k', token: secret }, intervalMs: 60_000 });
      await s.connect().catch(() => {});
      const req = events(s, 'request')[0];
      assert.match(req.url, /[?&]k=«redacted …[^»]{4}»/, `${transport}: ${req.url}`);
      const sent = new URL(srv.received.length ? srv.received[srv.received.length - 1].toString('latin1').split(' ')[1] : '/', 'http://x').searchParams.get('k');
      assert.equal(sent, secret, 'the server got the token intact');
      assertNoSecret(s, [secret, new URLSearchParams({ k: secret }).toString().slice(2)]);
    }
  });

  it('WebSocket: a 403 whose body and headers quote the token', async () => {
    const secret = token();
    const srv = await rawServer((sock) => {
      void readHead(sock).then(() => {
        const body = JSON.stringify({ error: 'forbidden', token: secret, hint: `token ${secret} is revoked` });
        sock.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer error="invalid_token", token="${secret}"\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      });
    });
    const s = open('ws', urlFor('ws', srv.origin), { auth: { method: 'bearer', token: secret } });
    const err = await connectFails(s);
    assert.match(err.message, /403 Forbidden instead of upgrading to WebSocket \(the credential was missing or refused\): \{"error":"forbidden","token":"«redacted …\w{4}»"/);
    await assertCleanFailure(s, err, [secret]);
  });

  it('token endpoint errors quoting the client secret, and a token echoed back in a frame', async () => {
    const clientSecret = `cs_${token()}`;
    const a = await httpServer((_req, res) => res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', echo: `client_secret=${clientSecret}` })));
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, `ws://127.0.0.1:9/`, '/x'), { auth: { method: 'token-url', url: `${a.origin}/token`, body: JSON.stringify({ client_secret: clientSecret }) } });
      const err = await connectFails(s);
      assert.match(err.message, /The token endpoint answered 400: .*client_secret=«redacted …\w{4}»/, `${transport}: ${err.message}`);
      await assertCleanFailure(s, err, [clientSecret]);
    }

    const secret = token();
    const srv = await rawServer((sock) => {
      void acceptUpgrade(sock).then(() => sock.write(frame(1, `{"echo":"${secret}"}`)));
    });
    const s = open('ws', urlFor('ws', srv.origin), { auth: { method: 'first-message', token: secret } });
    await s.connect();
    const echoed = await waitFor(s, 'message', (m) => m.direction === 'in');
    assert.equal(echoed.redacted, true);
    assert.match(String(echoed.data), /«redacted/);
    assertNoSecret(s, [secret]);
  });
});

describe('hostile: showSecrets is per session', () => {
  it('reveals the token in that session\'s log and errors only; a concurrent session stays redacted', async () => {
    const srv = await quotingServer(401);
    for (const transport of ALL) {
      const secret = token();
      const shown = open(transport, urlFor(transport, srv.origin, '/s'), { auth: { method: 'bearer', token: secret }, showSecrets: true });
      const hidden = open(transport, urlFor(transport, srv.origin, '/h'), { auth: { method: 'bearer', token: secret } });
      const [e1, e2] = await Promise.all([connectFails(shown), connectFails(hidden)]);
      const shownText = JSON.stringify([...shown.log]) + e1.message;
      assert.ok(shownText.includes(secret), `${transport}: showSecrets shows the token`);
      assert.ok(events(shown, 'auth')[0].value === secret);
      await assertCleanFailure(hidden, e2, [secret]);
    }
  });
});
