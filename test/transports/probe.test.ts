import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { InspectorEvent } from '../../src/shared/events';
import { probeTransport, withProbeCredential } from '../../src/transports/probe';

/** One fixture server with a route per behaviour the probe tells apart. */
describe('probeTransport', () => {
  let server: http.Server;
  let base: string;
  const held = new Set<http.ServerResponse>();
  const seenHeaders: http.IncomingHttpHeaders[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seenHeaders.push(req.headers);
      switch (req.url) {
        case '/sse':
          res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
          res.write(': hello\n\n');
          // Never ends: the probe must not wait for the body.
          held.add(res);
          return;
        case '/hold':
          // Never answers: the probe must call it long polling.
          held.add(res);
          return;
        case '/cursor':
          res.writeHead(200, { 'Content-Type': 'application/json', 'X-Cursor': '42' });
          res.end('{"cursor":42,"messages":[]}');
          return;
        case '/ws-only':
          res.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade' });
          res.end('Upgrade Required');
          return;
        case '/private':
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end('{"error":"unauthorized"}');
          return;
        default:
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"seq":1}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('calls a text/event-stream answer SSE without waiting for the body', async () => {
    const r = await probeTransport(`${base}/sse`);
    assert.equal(r.transport, 'sse');
    assert.match(r.reason, /text\/event-stream/);
  });

  it('calls a request held past the timeout long polling', async () => {
    const r = await probeTransport(`${base}/hold`, { timeoutMs: 300 });
    assert.equal(r.transport, 'long-poll');
    assert.match(r.reason, /No response headers within 300 ms/);
  });

  it('calls an immediate answer short polling', async () => {
    const r = await probeTransport(`${base}/poll`);
    assert.equal(r.transport, 'poll');
    assert.match(r.reason, /200 OK/);
    assert.match(r.reason, /application\/json/);
  });

  it('calls an immediate answer with a cursor header long polling', async () => {
    const r = await probeTransport(`${base}/cursor`);
    assert.equal(r.transport, 'long-poll');
    assert.match(r.reason, /x-cursor/);
  });

  it('calls 426 Upgrade Required a WebSocket endpoint', async () => {
    const r = await probeTransport(`${base}/ws-only`);
    assert.equal(r.transport, 'ws');
  });

  it('says a guess from an error answer is a guess', async () => {
    const r = await probeTransport(`${base}/private`);
    assert.equal(r.transport, 'poll');
    assert.match(r.reason, /401/);
    assert.match(r.reason, /guess/);
  });

  it('answers ws: and wss: URLs without a request', async () => {
    const before = seenHeaders.length;
    assert.equal((await probeTransport('ws://127.0.0.1:1/x')).transport, 'ws');
    assert.equal((await probeTransport('wss://example.invalid/x')).transport, 'ws');
    assert.equal(seenHeaders.length, before);
  });

  it('asks for an event stream first, sends the given headers and redacts credentials in its events', async () => {
    const events: InspectorEvent[] = [];
    await probeTransport(`${base}/poll`, { headers: [['Authorization', 'Bearer sekret-token-value-123']], onEvent: (ev) => events.push(ev) });
    const h = seenHeaders[seenHeaders.length - 1];
    assert.match(String(h.accept), /^text\/event-stream/);
    assert.equal(h.authorization, 'Bearer sekret-token-value-123');
    const req = events.find((e) => e.type === 'request');
    assert.ok(req && req.type === 'request');
    assert.equal(req.purpose, 'probe');
    assert.ok(!JSON.stringify(events).includes('sekret-token-value-123'), 'the token must not appear in the probe events');
  });

  it('rejects with one clear sentence when nothing listens', async () => {
    // Bind and close a server to get a port that refuses connections.
    const tmp = http.createServer();
    await new Promise<void>((resolve) => tmp.listen(0, '127.0.0.1', resolve));
    const port = (tmp.address() as AddressInfo).port;
    await new Promise<void>((resolve) => tmp.close(() => resolve()));
    await assert.rejects(probeTransport(`http://127.0.0.1:${port}/`), /Connection refused/);
  });

  it('rejects bad input with a clear message', async () => {
    await assert.rejects(probeTransport('not a url'), /Not a valid URL/);
    await assert.rejects(probeTransport('ftp://127.0.0.1/x'), /Cannot probe a ftp: URL/);
    await assert.rejects(probeTransport(`${base}/poll`, { timeoutMs: 0 }), /positive number/);
  });

  it('stops when its signal aborts', async () => {
    const ac = new AbortController();
    const p = probeTransport(`${base}/hold`, { timeoutMs: 60_000, signal: ac.signal });
    ac.abort();
    await assert.rejects(p, /cancelled/);
  });
});

describe('withProbeCredential', () => {
  it('puts header, cookie and query credentials on the probe, and nothing for the others', () => {
    const base = 'http://127.0.0.1:1/sse';
    assert.deepEqual(withProbeCredential(base, [], { method: 'bearer', token: 't0k' }).headers, [['Authorization', 'Bearer t0k']]);
    assert.deepEqual(withProbeCredential(base, [['A', 'b']], { method: 'cookie', name: 'sid', value: 'v' }).headers, [['A', 'b'], ['Cookie', 'sid=v']]);
    assert.deepEqual(withProbeCredential(base, [], { method: 'header', name: 'X-Key', value: 'k' }).headers, [['X-Key', 'k']]);
    assert.equal(withProbeCredential(base, [], { method: 'query', param: 'access_token', token: 'q' }).url, `${base}?access_token=q`);
    assert.deepEqual(withProbeCredential(base, [], { method: 'first-message', token: 'x' }), { url: base, headers: [] });
    assert.deepEqual(withProbeCredential(base, [], undefined), { url: base, headers: [] });
  });
});
