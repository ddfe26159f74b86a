/**
 * Hostile and broken endpoints, part 1: the connection and the opening handshake, for all
 * four transports. Real misbehaving servers on loopback; raw TCP where a library server
 * would refuse to misbehave.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import type { TransportKind } from '../../src/shared/events';
import type { AuthConfig } from '../../src/shared/options';
import { probeTransport } from '../../src/transports/probe';
import type { ConnectError, Session } from '../../src/transports/session';
import { PYTHON_WEBSOCKETS_MISSING, findPythonWithWebsockets, startPythonServer } from '../helpers/thirdParty';
import {
  ALL,
  acceptKey,
  acceptUpgrade,
  assertCleanFailure,
  closedPort,
  connectFails,
  events,
  headerOf,
  ipv6Loopback,
  onCleanup,
  open,
  rawServer,
  readHead,
  token,
  urlFor,
} from './hostile-helpers';

/**
 * The failure's code: on the rejection itself, or (SSE, whose connect() reports "could not
 * open the event stream" with RECONNECT_GAVE_UP) on the error event of the failed request.
 */
function assertCode(s: Session, err: ConnectError, code: string): void {
  const logged = events(s, 'error').map((e) => e.code);
  assert.ok(err.code === code || logged.includes(code), `expected ${code}; connect() rejected with ${err.code}, logged ${logged.join(', ')}`);
}

/** A credential each transport can carry, so every failure is also checked for leaks. */
function authFor(transport: TransportKind, secret: string): AuthConfig {
  return transport === 'ws' ? { method: 'query', param: 'sig', token: secret } : { method: 'bearer', token: secret };
}

describe('hostile: host and port', () => {
  for (const transport of ALL) {
    it(`${transport}: a host under .invalid does not resolve: "Host not found", nothing leaves the machine`, async () => {
      const secret = token();
      const s = open(transport, urlFor(transport, 'http://no-such-host.invalid:8080/', '/stream'), { auth: authFor(transport, secret) });
      const err = await connectFails(s);
      assert.match(err.message, /Host not found: no-such-host\.invalid does not resolve \(a reserved name that never resolves on the public DNS\)/);
      assertCode(s, err, 'ENOTFOUND');
      await assertCleanFailure(s, err, [secret]);
      assert.equal(events(s, 'request').length, 1, 'the request that could not be sent is still logged');
    });
  }

  for (const transport of ALL) {
    it(`${transport}: connection refused on IPv4 loopback`, async () => {
      const secret = token();
      const port = await closedPort();
      const s = open(transport, urlFor(transport, `http://127.0.0.1:${port}/`), { auth: authFor(transport, secret) });
      const err = await connectFails(s);
      assertCode(s, err, 'ECONNREFUSED');
      assert.ok(err.message.includes(`Connection refused by 127.0.0.1:${port}`), err.message);
      assert.match(err.message, /nothing is listening there/);
      await assertCleanFailure(s, err, [secret]);
    });
  }

  it('all transports: connection refused on IPv6 loopback [::1]', async (t) => {
    if (!(await ipv6Loopback())) {
      t.skip('IPv6 loopback (::1) is not available on this machine');
      return;
    }
    const port = await closedPort('::1');
    for (const transport of ALL) {
      const secret = token();
      const s = open(transport, urlFor(transport, `http://[::1]:${port}/`), { auth: authFor(transport, secret) });
      const err = await connectFails(s);
      assertCode(s, err, 'ECONNREFUSED');
      assert.ok(err.message.includes(`Connection refused by [::1]:${port}`), `${transport}: ${err.message}`);
      await assertCleanFailure(s, err, [secret]);
    }
  });

  it('a "bad port" (10080) that fetch refuses: node:http connects, and the log says browsers would not', async (t) => {
    // Behaviour checked here: fetch/undici refuses the fetch standard's bad ports; node:http
    // (this client) has no such list. The session connects and logs an info event saying so.
    let err: Error | undefined;
    try {
      await fetch('http://127.0.0.1:10080/');
    } catch (e) {
      err = e as Error;
    }
    assert.match(String((err?.cause as Error)?.message ?? err?.message), /bad port/, 'fetch refuses port 10080 without connecting');
    const server = net.createServer((c) => {
      c.on('error', () => {});
      void readHead(c).then(() => c.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(10080, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      t.skip('port 10080 is in use on this machine');
      return;
    }
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const s = open('poll', 'http://127.0.0.1:10080/feed', { intervalMs: 60_000 });
    await s.connect();
    const info = events(s, 'info').find((i) => i.key === 'bad-port');
    assert.ok(info, 'an info event explains the bad port');
    assert.match(info.message, /Port 10080 is on the fetch standard's list of "bad ports": browsers .* refuse to connect to it.*node:http.*connects anyway/);
    assert.equal(events(s, 'message')[0]?.data, 'ok');
  });
});

describe('hostile: handshakes that never finish', () => {
  it('never answered: every transport times out and says how long it waited and where it stalled', async () => {
    const srv = await rawServer(() => {
      /* accepts TCP, never answers */
    });
    await Promise.all(
      (['ws', 'sse', 'poll'] as const).map(async (transport) => {
        const secret = token();
        const s = open(transport, urlFor(transport, srv.origin, '/x'), { timeoutMs: 400, auth: authFor(transport, secret) });
        const err = await connectFails(s);
        assertCode(s, err, 'TIMEOUT');
        assert.match(err.message, /within 400 ms/, transport);
        assert.match(err.message, /accepted the connection but never responded/, `${transport}: ${err.message}`);
        await assertCleanFailure(s, err, [secret]);
      }),
    );
    // Long polling waits on purpose: a request nobody answers is a held request (see hostile-answers).
  });

  it('SYNs dropped (a listener whose accept queue is full): every transport and the probe give up after timeoutMs, saying they could not connect', async (t) => {
    const python = findPythonWithWebsockets();
    if (!python) return t.skip(PYTHON_WEBSOCKETS_MISSING);
    // listen(0) and never accept: the kernel completes one handshake into the queue, then drops SYNs.
    const full = await startPythonServer(python, 'import socket, sys, time\ns = socket.socket()\ns.bind(("127.0.0.1", 0))\ns.listen(0)\nprint(s.getsockname()[1], flush=True)\ntime.sleep(120)\n');
    onCleanup(full.stop);
    const filler = net.connect(full.port, '127.0.0.1');
    filler.on('error', () => {});
    onCleanup(() => void filler.destroy());
    await new Promise<void>((r) => filler.once('connect', () => r()));
    const origin = `http://127.0.0.1:${full.port}`;
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, origin, '/x'), { timeoutMs: 300, holdTimeoutMs: 60_000 });
      const err = await connectFails(s);
      assert.match(err.message, new RegExp(`could not connect to 127\\.0\\.0\\.1:${full.port} within 300 ms`, 'i'), `${transport}: ${err.message}`);
      await assertCleanFailure(s, err);
    }
    await assert.rejects(probeTransport(`${origin}/x`, { timeoutMs: 300 }), /could not connect to 127\.0\.0\.1:\d+ within 300 ms/i);
  });

  it('answered one byte per second: the timeout fires and says how many bytes came', async () => {
    const answer = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n';
    const srv = await rawServer((sock) => {
      let i = 0;
      const drip = setInterval(() => {
        if (sock.destroyed || i >= answer.length) return clearInterval(drip);
        sock.write(answer[i++]);
      }, 1000);
      sock.once('close', () => clearInterval(drip));
      onCleanup(() => clearInterval(drip));
      // The first byte at once, so bytes have arrived when the timeout fires.
      void readHead(sock).then(() => sock.write(answer[i++]));
    });
    await Promise.all(
      (['ws', 'sse', 'poll'] as const).map(async (transport) => {
        const s = open(transport, urlFor(transport, srv.origin, '/drip'), { timeoutMs: 1500 });
        const err = await connectFails(s);
        assertCode(s, err, 'TIMEOUT');
        assert.match(err.message, /within 1500 ms/, transport);
        assert.match(err.message, /only \d bytes of (it|the response)/, `${transport}: ${err.message}`);
        assert.match(err.message, /answers too slowly/, transport);
        await assertCleanFailure(s, err);
      }),
    );
  });

  it('the server drops the socket in the middle of its answer', async () => {
    const srv = await rawServer((sock) => {
      void readHead(sock).then(() => {
        sock.write('HTTP/1.1 101 Switching Proto');
        setImmediate(() => sock.destroy());
      });
    });
    for (const transport of ['ws', 'sse', 'poll'] as const) {
      const secret = token();
      const s = open(transport, urlFor(transport, srv.origin, '/half'), { auth: authFor(transport, secret) });
      const err = await connectFails(s);
      assert.match(err.message, /The server closed the connection abruptly/, `${transport}: ${err.message}`);
      await assertCleanFailure(s, err, [secret]);
    }
  });
});

describe('hostile: WebSocket handshake answers', () => {
  it('101 with a wrong Sec-WebSocket-Accept', async () => {
    const srv = await rawServer((sock) => {
      void readHead(sock).then(() => sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey('not the key')}\r\n\r\n`));
    });
    const secret = token();
    const s = open('ws', urlFor('ws', srv.origin), { auth: { method: 'bearer', token: secret } });
    const err = await connectFails(s);
    assert.equal(err.code, 'WS_BAD_ACCEPT');
    assert.match(err.message, /answered 101 with a wrong Sec-WebSocket-Accept: it is not a conforming WebSocket server, or a proxy altered the handshake/);
    assert.equal(events(s, 'response')[0].status, 101, 'the 101 is logged');
    await assertCleanFailure(s, err, [secret]);
  });

  for (const [name, ctype, body, re] of [
    ['an HTML page', 'text/html; charset=utf-8', '<!doctype html><title>Sign in</title>', /answered 200 OK instead of upgrading to WebSocket \(it sent an HTML page: this looks like a web page URL, not the WebSocket endpoint\): <!doctype html>/],
    ['JSON', 'application/json', '{"status":"ok","version":3}', /answered 200 OK instead of upgrading to WebSocket \(it does not speak WebSocket at this URL\): \{"status":"ok","version":3\}/],
  ] as const) {
    it(`200 with ${name} instead of an upgrade`, async () => {
      const secret = token();
      const srv = await rawServer((sock) => {
        void readHead(sock).then(() => sock.end(`HTTP/1.1 200 OK\r\nContent-Type: ${ctype}\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
      });
      const s = open('ws', urlFor('ws', srv.origin, '/app'), { auth: { method: 'cookie', name: 'sid', value: secret } });
      const err = await connectFails(s);
      assert.equal(err.code, 'HTTP_STATUS');
      assert.match(err.message, re);
      const fatal = events(s, 'error').find((e) => e.fatal)!;
      assert.match(fatal.detail ?? '', new RegExp(`content-type: ${ctype.replace(/[/+]/g, '.')}`));
      await assertCleanFailure(s, err, [secret]);
    });
  }

  it('a subprotocol the client did not offer', async () => {
    const srv = await rawServer((sock) => void acceptUpgrade(sock, 'Sec-WebSocket-Protocol: evil\r\n'));
    const s = open('ws', urlFor('ws', srv.origin), { subprotocols: ['chat.v1'] });
    const err = await connectFails(s);
    assert.equal(err.code, 'WS_BAD_SUBPROTOCOL');
    assert.match(err.message, /The server echoed subprotocol "evil", which was not offered \(offered: chat\.v1\): browsers close this connection/);
    await assertCleanFailure(s, err);

    const none = open('ws', urlFor('ws', srv.origin));
    const err2 = await connectFails(none);
    assert.match(err2.message, /The server chose subprotocol "evil" although none was offered/);
    await assertCleanFailure(none, err2);
  });

  it('an extension the client did not offer', async () => {
    const srv = await rawServer((sock) => void acceptUpgrade(sock, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'));
    const s = open('ws', urlFor('ws', srv.origin), { perMessageDeflate: false });
    const err = await connectFails(s);
    assert.equal(err.code, 'WS_BAD_EXTENSIONS');
    assert.match(err.message, /The server's Sec-WebSocket-Extensions answer is not acceptable: Server sent a Sec-WebSocket-Extensions header but no extension was requested/);
    await assertCleanFailure(s, err);

    const other = await rawServer((sock) => void acceptUpgrade(sock, 'Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n'));
    const s2 = open('ws', urlFor('ws', other.origin));
    const err2 = await connectFails(s2);
    assert.equal(err2.code, 'WS_BAD_EXTENSIONS');
    assert.match(err2.message, /not acceptable: Server indicated an extension that was not requested/);
    await assertCleanFailure(s2, err2);
  });

  it('no subprotocol in the answer when the offered one carried the token: fails, token nowhere', async () => {
    const secret = `t${token().replace(/[^A-Za-z0-9]/g, '')}`;
    let offered = '';
    const srv = await rawServer((sock) => {
      void acceptUpgrade(sock).then((head) => (offered = headerOf(head, 'sec-websocket-protocol') ?? ''));
    });
    const s = open('ws', urlFor('ws', srv.origin), { auth: { method: 'subprotocol', token: secret, marker: 'access_token' } });
    const err = await connectFails(s);
    assert.equal(err.code, 'WS_NO_SUBPROTOCOL');
    assert.match(err.message, /did not echo a subprotocol \(offered: access_token, «redacted …\w{4}»\): browsers close this connection.*the server must answer with one of the offered protocols/);
    assert.equal(offered, `access_token,${secret}`, 'the server did get the token (that is how this method works)');
    await assertCleanFailure(s, err, [secret]);
  });

  it('response headers larger than node\'s 16 KiB limit: ws, SSE and polling say so', async () => {
    const big = `X-Padding: ${'p'.repeat(20 * 1024)}\r\n`;
    const srv = await rawServer((sock) => {
      void readHead(sock).then((head) => {
        const key = headerOf(head, 'sec-websocket-key');
        sock.write(
          key
            ? `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${big}\r\n`
            : `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n${big}\r\n`,
        );
      });
    });
    for (const transport of ['ws', 'sse', 'poll'] as const) {
      const secret = token();
      const s = open(transport, urlFor(transport, srv.origin, '/big'), { auth: authFor(transport, secret) });
      const err = await connectFails(s);
      assertCode(s, err, 'HPE_HEADER_OVERFLOW');
      assert.match(err.message, /The server's response headers are larger than 16 KiB, Node's limit \(raise it with --max-http-header-size\)/, transport);
      await assertCleanFailure(s, err, [secret]);
    }
  });
});
