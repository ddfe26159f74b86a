/**
 * Hostile and broken endpoints, part 2: TLS. Certificates are generated at test time with
 * openssl (Debian: openssl). Each refused certificate is shown (subject, issuer, validity,
 * SHA-256 fingerprint) with the exact reason; accepting one is per connection and logged.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { TransportKind } from '../../src/shared/events';
import { ALL, assertCleanFailure, assertNoSecret, connectFails, events, httpServer, makeCerts, onCleanup, open, removeDir, token, urlFor, waitFor, which, type Certs, type HttpServer } from './hostile-helpers';

const openssl = which('openssl');
const skip = openssl ? false : 'openssl is not installed (CI: apt-get install -y openssl)';

let certs: Certs;
before(() => {
  if (openssl) certs = makeCerts();
});
after(() => {
  if (certs) removeDir(certs.dir);
});

/** An https server answering every transport: /poll, /long-poll (JSON), /sse (a stream), upgrades (WebSocket). */
async function tlsServer(pair: { key: string; cert: string }): Promise<HttpServer & { upgrades: number }> {
  const wss = new WebSocketServer({ noServer: true });
  const srv = await httpServer(
    (req, res) => {
      if (req.url?.startsWith('/sse')) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('data: over tls\n\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"messages":[{"n":1}]}');
    },
    () => https.createServer({ key: pair.key, cert: pair.cert }),
  );
  const out = Object.assign(srv, { upgrades: 0 });
  srv.server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    out.upgrades++;
    wss.handleUpgrade(req, socket, head, (ws) => ws.send('over tls'));
  });
  onCleanup(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  return out;
}

const PATH: Record<TransportKind, string> = { ws: '/ws', sse: '/sse', poll: '/poll', 'long-poll': '/long-poll' };

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

describe('hostile: TLS certificates', { skip }, () => {
  for (const transport of ALL) {
    it(`${transport}: a self-signed certificate is refused with the certificate shown, and no request reaches the server`, async () => {
      const srv = await tlsServer(certs.selfSigned);
      const secret = token();
      const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { auth: { method: 'bearer', token: secret } });
      const err = await connectFails(s);
      assert.match(err.message, /TLS certificate refused: the certificate is self-signed \(it is not issued by an authority this machine trusts\) \[DEPTH_ZERO_SELF_SIGNED_CERT\]/);
      assert.match(err.message, /To trust it for this connection only, allow invalid certificates \("insecure"\)/);
      const e = events(s, 'error').find((x) => x.tls)!;
      assert.ok(e, 'an error event carries the certificate');
      assert.equal(e.tls!.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.equal(e.tls!.subject, 'CN=localhost, O=Self Signed Test');
      assert.equal(e.tls!.issuer, 'CN=localhost, O=Self Signed Test');
      assert.equal(e.tls!.selfSigned, true);
      assert.equal(e.tls!.fingerprint256, fingerprintOf(certs.selfSigned.cert));
      assert.equal(e.tls!.validTo, new Date(new X509Certificate(certs.selfSigned.cert).validTo).toISOString());
      assert.match(e.detail ?? '', /subject: CN=localhost, O=Self Signed Test\nissuer: CN=localhost, O=Self Signed Test \(self-signed\)\nvalid: \S+ to \S+\nSHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}\nnames: DNS:localhost, IP Address:127\.0\.0\.1/);
      await assertCleanFailure(s, err, [secret]);
      assert.equal(srv.requests.length + srv.upgrades, 0, 'not one request (nor its credential) was written to the refused server');
    });
  }

  it('an expired certificate from a trusted CA: the reason gives the date', async () => {
    const srv = await tlsServer(certs.expired);
    const expiry = new Date(new X509Certificate(certs.expired.cert).validTo).toISOString();
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { ca: certs.caCert });
      const err = await connectFails(s);
      assert.ok(err.message.includes(`TLS certificate refused: the certificate expired on ${expiry} [CERT_HAS_EXPIRED]`), `${transport}: ${err.message}`);
      const e = events(s, 'error').find((x) => x.tls)!;
      assert.equal(e.tls!.issuer, 'CN=Hostile Test CA, O=Realtime Inspector Tests');
      assert.equal(e.tls!.selfSigned, false);
      await assertCleanFailure(s, err);
    }
    assert.equal(srv.requests.length + srv.upgrades, 0);
  });

  it('a certificate for another host name: the reason names both', async () => {
    const srv = await tlsServer(certs.wrongHost);
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { ca: certs.caCert });
      const err = await connectFails(s);
      assert.ok(err.message.includes('TLS certificate refused: the certificate is for DNS:other.test, not for 127.0.0.1 [ERR_TLS_CERT_ALTNAME_INVALID]'), `${transport}: ${err.message}`);
      await assertCleanFailure(s, err);
    }
    assert.equal(srv.requests.length + srv.upgrades, 0);
  });

  it('a certificate from a CA this machine does not know, and the same one trusted with `ca` for one session', async () => {
    const srv = await tlsServer(certs.good);
    const s = open('poll', urlFor('poll', srv.origin, '/poll'), { intervalMs: 60_000 });
    const err = await connectFails(s);
    assert.match(err.message, /issued by "CN=Hostile Test CA, O=Realtime Inspector Tests", an authority this machine does not trust/);
    await assertCleanFailure(s, err);
    const trusted = open('poll', urlFor('poll', srv.origin, '/poll'), { intervalMs: 60_000, ca: certs.caCert });
    await trusted.connect();
    assert.equal(events(trusted, 'info').filter((i) => i.key === 'tls-insecure').length, 0, 'a valid chain needs no exception');
    assert.equal(typeof events(trusted, 'timing')[0].tls, 'number');
  });

  for (const transport of ALL) {
    it(`${transport}: insecure accepts it for that session only, logged; a second session without it still fails`, async () => {
      const srv = await tlsServer(certs.selfSigned);
      const allowed = open(transport, urlFor(transport, srv.origin, PATH[transport]), { insecure: true, intervalMs: 60_000 });
      await allowed.connect();
      const info = events(allowed, 'info').find((i) => i.key === 'tls-insecure')!;
      assert.ok(info, 'the exception is in the log');
      assert.match(info.message, /^Accepting an invalid certificate for this connection: the certificate is self-signed .*\[DEPTH_ZERO_SELF_SIGNED_CERT\] \(127\.0\.0\.1:\d+, SHA-256 [0-9A-F:]+\)\.$/);
      assert.equal(info.tls?.fingerprint256, fingerprintOf(certs.selfSigned.cert));
      const open1 = events(allowed, 'state').find((e) => e.state === 'open')!;
      assert.ok(info.seq < open1.seq, 'logged before the session opened');
      await waitFor(allowed, 'message', (m) => m.direction === 'in');

      // Not global: a session created afterwards, without insecure, is refused.
      const strict = open(transport, urlFor(transport, srv.origin, PATH[transport]));
      const err = await connectFails(strict);
      assert.match(err.message, /self-signed/);
      assertNoSecret(strict, []);
    });
  }
});
