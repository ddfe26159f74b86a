/**
 * Hostile and broken endpoints, part 4: proxies. Every transport through a REAL proxy on
 * loopback (Debian's tinyproxy, run in the foreground with a generated config), a proxy that
 * wants credentials, one that refuses CONNECT, one that is down; NO_PROXY matching; and
 * proxyFromEnv.
 */
import assert from 'node:assert/strict';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { InspectorEvent, TransportKind } from '../../src/shared/events';
import { probeTransport } from '../../src/transports/probe';
import { bypassesProxy, parseNoProxy, proxyFromEnv } from '../../src/transports/proxyEnv';
import { TINYPROXY_MISSING, findTinyproxy, startTinyproxy as startTinyproxyServer, type TinyProxy } from '../helpers/thirdParty';
import { ALL, assertCleanFailure, assertNoSecret, closedPort, connectFails, events, httpServer, makeCerts, onCleanup, open, removeDir, urlFor, waitFor, which, type Certs, type HttpServer } from './hostile-helpers';

const tinyproxy = findTinyproxy();
const skipProxy = tinyproxy ? false : TINYPROXY_MISSING;

const stops: Array<() => void> = [];
after(() => {
  for (const stop of stops) stop();
});

async function startTinyproxy(extra: string[] = []): Promise<TinyProxy> {
  const proxy = await startTinyproxyServer(tinyproxy!, extra);
  stops.push(proxy.stop);
  onCleanup(proxy.stop);
  return proxy;
}

/** An origin answering every transport, plain or TLS. */
async function origin(tls?: { key: string; cert: string }): Promise<HttpServer> {
  const wss = new WebSocketServer({ noServer: true });
  const srv = await httpServer(
    (req, res) => {
      if (req.url?.startsWith('/sse')) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('data: via proxy\n\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ messages: ['via proxy'] }));
    },
    tls ? () => https.createServer(tls) : undefined,
  );
  srv.server.on('upgrade', (req, socket: Duplex, head: Buffer) => wss.handleUpgrade(req, socket, head, (ws) => ws.send('via proxy')));
  onCleanup(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  return srv;
}

const PATH: Record<TransportKind, string> = { ws: '/ws', sse: '/sse', poll: '/poll', 'long-poll': '/long-poll' };

describe('hostile: through a real proxy (tinyproxy)', { skip: skipProxy }, () => {
  let certs: Certs | undefined;
  before(() => {
    if (which('openssl')) certs = makeCerts();
  });
  after(() => {
    if (certs) removeDir(certs.dir);
  });

  it('every transport, plain and TLS, goes through a CONNECT tunnel; the log says so and times it', async () => {
    const proxy = await startTinyproxy();
    const plain = await origin();
    const secure = certs ? await origin(certs.good) : undefined;
    for (const srv of [plain, ...(secure ? [secure] : [])]) {
      for (const transport of ALL) {
        const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { proxy: { url: proxy.url }, ca: certs?.caCert, intervalMs: 60_000 });
        await s.connect();
        const msg = await waitFor(s, 'message', (m) => m.direction === 'in');
        assert.match(String(msg.data), /via proxy/);
        const info = events(s, 'info').find((i) => i.key === 'proxy');
        assert.ok(info, `${transport}: the proxy is in the log`);
        const authority = `127.0.0.1:${srv.port}`;
        assert.ok(info.message.startsWith(`Proxy ${proxy.url} carried the connection to ${authority}: CONNECT answered 200`), info.message);
        assert.match(info.message, /in \d+(\.\d)? ms/);
        const timing = events(s, 'timing')[0];
        assert.equal(typeof timing.proxy, 'number', `${transport}: the CONNECT time is in the timing event`);
        assert.equal(typeof timing.tcp, 'number');
        if (srv === secure) assert.equal(typeof timing.tls, 'number', 'TLS to the origin ran inside the tunnel');
        await proxy.saw(`Request (file descriptor`, `CONNECT ${authority} HTTP/1.1`);
        await s.close();
      }
    }
  });

  it('proxy credentials from the URL go in Proxy-Authorization and never into the log; missing or wrong ones are explained', async () => {
    const password = 'pr0xyPass9f2c'; // tinyproxy's BasicAuth accepts letters and digits only
    const proxy = await startTinyproxy([`BasicAuth tester ${password}`]);
    const srv = await origin();
    const withCreds = `http://tester:${encodeURIComponent(password)}@127.0.0.1:${proxy.port}`;
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { proxy: { url: withCreds }, intervalMs: 60_000 });
      await s.connect();
      const info = events(s, 'info').find((i) => i.key === 'proxy')!;
      assert.ok(info.message.includes(`Proxy http://tester:«redacted»@127.0.0.1:${proxy.port} carried the connection`), info.message);
      assertNoSecret(s, [password, Buffer.from(`tester:${password}`).toString('base64')]);
      await s.close();
    }
    const none = open('poll', urlFor('poll', srv.origin, '/poll'), { proxy: { url: proxy.url } });
    const err = await connectFails(none);
    assert.match(err.message, /The proxy http:\/\/127\.0\.0\.1:\d+ wants credentials \(407 [^)]*\): put user:password in the proxy URL/);
    assert.equal(events(none, 'error').find((e) => !e.fatal)?.code, 'PROXY_AUTH');
    await assertCleanFailure(none, err);
    const wrong = open('ws', urlFor('ws', srv.origin, '/ws'), { proxy: { url: `http://tester:wrong-${password}@127.0.0.1:${proxy.port}` } });
    const err2 = await connectFails(wrong);
    assert.equal(err2.code, 'PROXY_AUTH');
    assert.match(err2.message, /The proxy http:\/\/tester:«redacted»@127\.0\.0\.1:\d+ refused the user name and password in the proxy URL \((401|407) /);
    await assertCleanFailure(wrong, err2, [password]);
  });

  it('a proxy that refuses CONNECT (403) to the port: the message says so and why', async () => {
    const proxy = await startTinyproxy(['ConnectPort 443']);
    const srv = await origin();
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { proxy: { url: proxy.url } });
      const err = await connectFails(s);
      const refused = events(s, 'error').find((e) => e.code === 'PROXY_REFUSED');
      assert.ok(refused, `${transport}: ${err.message}`);
      assert.ok(err.message.includes(`The proxy ${proxy.url} refused to open a tunnel to 127.0.0.1:${srv.port}: 403`), `${transport}: ${err.message}`);
      assert.match(err.message, /many proxies only allow CONNECT to port 443; this inspector tunnels every connection/);
      assert.match(refused.detail ?? '', /proxy answer: HTTP\/1\.[01] 403/);
      await assertCleanFailure(s, err);
    }
    assert.equal(srv.requests.length, 0);
  });

  it('a proxy that is down: "could not reach the proxy", for every transport', async () => {
    const port = await closedPort();
    const srv = await origin();
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { proxy: { url: `http://127.0.0.1:${port}` } });
      const err = await connectFails(s);
      assert.ok(err.message.includes(`Could not reach the proxy http://127.0.0.1:${port}: connection refused (nothing is listening there: is the proxy running?)`), `${transport}: ${err.message}`);
      await assertCleanFailure(s, err);
    }
    assert.equal(srv.requests.length, 0);
  });

  it('an https:// proxy (TLS to the proxy itself, then the tunnel): every transport', async (t) => {
    if (!certs) return t.skip('openssl is not installed');
    // tinyproxy speaks plain HTTP only: this small CONNECT proxy behind TLS stands in for one that does not.
    const connects: string[] = [];
    const proxy = tls.createServer({ key: certs.good.key, cert: certs.good.cert }, (client) => {
      client.on('error', () => {});
      let head = '';
      const onData = (d: Buffer): void => {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.removeListener('data', onData);
        const [, authority] = /^CONNECT (\S+) HTTP/.exec(head) ?? [];
        connects.push(authority ?? '?');
        const [host, port] = authority.split(':');
        const up = net.connect({ host, port: Number(port) }, () => {
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          const rest = Buffer.from(head.slice(end + 4), 'latin1');
          if (rest.length) up.write(rest);
          client.pipe(up).pipe(client);
        });
        up.on('error', () => client.destroy());
      };
      client.on('data', onData);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => proxy.close(() => r())));
    const proxyUrl = `https://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const srv = await origin();
    for (const transport of ALL) {
      const s = open(transport, urlFor(transport, srv.origin, PATH[transport]), { proxy: { url: proxyUrl }, ca: certs.caCert, intervalMs: 60_000 });
      await s.connect();
      await waitFor(s, 'message', (m) => m.direction === 'in');
      assert.ok(events(s, 'info').some((i) => i.key === 'proxy' && i.message.startsWith(`Proxy ${proxyUrl} carried the connection to 127.0.0.1:${srv.port}`)), transport);
      await s.close();
    }
    assert.ok(connects.length >= ALL.length && connects.every((c) => c === `127.0.0.1:${srv.port}`), connects.join(', '));
    // Its certificate is checked like any other: without the CA it is refused, with the reason.
    const strict = open('poll', urlFor('poll', srv.origin, '/poll'), { proxy: { url: proxyUrl } });
    const err = await connectFails(strict);
    assert.ok(err.message.includes(`The connection to the proxy ${proxyUrl} failed before the tunnel to 127.0.0.1:${srv.port} opened: unable to verify the first certificate`), err.message);
    await assertCleanFailure(strict, err);
  });

  it('NO_PROXY entries bypass the proxy (here a dead one), and the bypass is per host', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const srv = await origin();
    for (const noProxy of [['127.0.0.1'], ['*'], [`127.0.0.1:${srv.port}`], ['127.0.0.0/8']]) {
      const s = open('poll', urlFor('poll', srv.origin, '/poll'), { proxy: { url: dead, noProxy }, intervalMs: 60_000 });
      await s.connect();
      assert.equal(events(s, 'info').filter((i) => i.key === 'proxy').length, 0, `${noProxy.join(',')}: direct`);
      await s.close();
    }
    const other = open('poll', urlFor('poll', srv.origin, '/poll'), { proxy: { url: dead, noProxy: ['127.0.0.1:1', 'example.com'] } });
    const err = await connectFails(other);
    assert.match(err.message, /Could not reach the proxy/);
  });

  it('the transport probe goes the way the session will: through the proxy, trusting the extra CA', async () => {
    const proxy = await startTinyproxy();
    const secure = certs ? await origin(certs.good) : undefined;
    for (const srv of [await origin(), ...(secure ? [secure] : [])]) {
      const seen: InspectorEvent[] = [];
      const r = await probeTransport(`${srv.origin}/sse`, { proxy: { url: proxy.url }, ca: certs?.caCert, onEvent: (e) => seen.push(e) });
      assert.equal(r.transport, 'sse', r.reason);
      const info = seen.find((e): e is Extract<InspectorEvent, { type: 'info' }> => e.type === 'info' && e.key === 'proxy');
      assert.ok(info?.message.includes(`carried the connection to 127.0.0.1:${srv.port}`), `the probe went through the proxy: ${JSON.stringify(seen.map((e) => e.type))}`);
    }
    if (secure) {
      // Without the CA the same probe is refused by certificate checks, not mistaken for a transport.
      await assert.rejects(probeTransport(`${secure.origin}/sse`, { proxy: { url: proxy.url } }), /certificate/i);
    }
    // A proxy that is down: the probe says so instead of guessing.
    await assert.rejects(probeTransport(`${(await origin()).origin}/poll`, { proxy: { url: `http://127.0.0.1:${await closedPort()}` } }), /proxy/i);
  });

  it('a probe stuck before the request reached the server is an error, never "long polling"', async () => {
    // A "proxy" that accepts TCP and never answers CONNECT: the probe times out in the proxy phase.
    const accepted: net.Socket[] = [];
    const silent = net.createServer((sock) => {
      sock.on('error', () => {});
      accepted.push(sock);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    onCleanup(() => {
      for (const sock of accepted) sock.destroy();
      silent.close();
    });
    const port = (silent.address() as net.AddressInfo).port;
    const srv = await origin();
    await assert.rejects(probeTransport(`${srv.origin}/poll`, { proxy: { url: `http://127.0.0.1:${port}` }, timeoutMs: 300 }), (err: Error) => {
      assert.match(err.message, /did not open a tunnel/);
      assert.doesNotMatch(err.message, /long poll/i);
      return true;
    });
    assert.equal(accepted.length, 1);
    // The probe's connection to the proxy is closed when it gives up, not left to the 10 s dial limit.
    await new Promise<void>((resolve) => (accepted[0].destroyed || accepted[0].readableEnded ? resolve() : accepted[0].resume().once('close', () => resolve())));
  });
});

describe('proxy settings: NO_PROXY matching and proxyFromEnv', () => {
  const u = (s: string): URL => new URL(s);
  it('matches hosts, domains, ports, IPs, CIDR ranges and *', () => {
    const list = parseNoProxy(' internal.example ,.corp.test  localhost:8080 10.0.0.0/8, [::1], 192.168.1.5');
    assert.deepEqual(list, ['internal.example', '.corp.test', 'localhost:8080', '10.0.0.0/8', '[::1]', '192.168.1.5']);
    assert.ok(bypassesProxy(u('https://internal.example/x'), list));
    assert.ok(bypassesProxy(u('https://api.internal.example/x'), list), 'subdomain of a bare domain');
    assert.ok(!bypassesProxy(u('https://notinternal.example/x'), list), 'suffix without a dot boundary');
    assert.ok(bypassesProxy(u('http://corp.test/'), list), '.corp.test covers corp.test itself (curl)');
    assert.ok(bypassesProxy(u('http://a.b.corp.test/'), list));
    assert.ok(bypassesProxy(u('http://localhost:8080/'), list));
    assert.ok(!bypassesProxy(u('http://localhost:8081/'), list), 'port must match');
    assert.ok(bypassesProxy(u('ws://10.1.2.3:9000/'), list), 'CIDR');
    assert.ok(!bypassesProxy(u('ws://11.1.2.3/'), list));
    assert.ok(bypassesProxy(u('http://[::1]:3000/'), list), 'IPv6 literal');
    assert.ok(bypassesProxy(u('https://192.168.1.5/'), list));
    assert.ok(!bypassesProxy(u('https://192.168.1.50/'), list));
    assert.ok(bypassesProxy(u('https://anything/'), ['*']));
    assert.ok(bypassesProxy(u('https://API.Internal.Example./'), list), 'case and trailing dot');
    assert.ok(bypassesProxy(u('https://h.corp.test/'), ['*.corp.test']));
    assert.ok(bypassesProxy(u('https://example.org/'), ['example.org:443']), 'default port of the scheme');
    assert.ok(!bypassesProxy(u('http://example.org/'), ['example.org:443']));
  });

  it('proxyFromEnv: scheme-specific variables, lower case first, NO_PROXY, httpoxy guard', () => {
    assert.deepEqual(proxyFromEnv('https://api.example/x', { HTTPS_PROXY: 'http://p:3128' }), { url: 'http://p:3128' });
    assert.deepEqual(proxyFromEnv('wss://api.example/x', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }), { url: 'http://lower:1' });
    assert.deepEqual(proxyFromEnv('ws://api.example/x', { HTTP_PROXY: 'proxy.local:8080' }), { url: 'http://proxy.local:8080' }, 'no scheme means http://');
    assert.equal(proxyFromEnv('http://api.example/', { HTTPS_PROXY: 'http://p:1' }), undefined, 'http uses HTTP_PROXY only');
    assert.equal(proxyFromEnv('http://api.example/', { HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' }), undefined, 'upper-case HTTP_PROXY is ignored under CGI');
    assert.deepEqual(proxyFromEnv('http://api.example/', { http_proxy: 'http://p:1', REQUEST_METHOD: 'GET' }), { url: 'http://p:1' });
    assert.equal(proxyFromEnv('https://svc.internal/', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '.internal' }), undefined);
    assert.equal(proxyFromEnv('https://svc.internal/', { HTTPS_PROXY: 'http://p:1', no_proxy: '.internal', NO_PROXY: '' }), undefined, 'lower-case no_proxy wins');
    assert.deepEqual(proxyFromEnv('https://public.example/', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '.internal,localhost' }), { url: 'http://p:1', noProxy: ['.internal', 'localhost'] }, 'the list travels for redirect hops');
    assert.equal(proxyFromEnv('https://x.example/', { HTTPS_PROXY: '  ' }), undefined);
    assert.equal(proxyFromEnv('ftp://x.example/', { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1' }), undefined);
  });
});
