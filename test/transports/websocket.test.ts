import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { after, afterEach, describe, it } from 'node:test';
import WebSocket, { WebSocketServer, type ServerOptions } from 'ws';
import type { InspectorEvent } from '../../src/shared/events';
import { createStats, updateStats } from '../../src/shared/stats';
import type { ConnectOptions } from '../../src/shared/options';
import { ConnectError } from '../../src/transports/session';
import { describeLog, waitFor, type Ev } from '../helpers/session';
import { PYTHON_WEBSOCKETS_MISSING, findPythonWithWebsockets, startPythonWebsocketsEcho } from '../helpers/thirdParty';
import { WebSocketSession, describeCloseCode, wsFrameOverhead } from '../../src/transports/websocket';

// ---------------------------------------------------------------------------------------
// Fixtures: real servers on 127.0.0.1, port 0, closed after each test.


const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Upgrade {
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
}

interface TestServer {
  port: number;
  origin: string;
  server: http.Server;
  wss: WebSocketServer;
  upgrades: Upgrade[];
  clients: WebSocket[];
  /** Messages the server received, in order (text as string). */
  received: Array<string | Buffer>;
}

interface ServerSetup {
  wss?: Omit<ServerOptions, 'noServer' | 'port' | 'server'>;
  /** Handles an upgrade itself (raw answer); return true when it did. */
  route?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /** Plain HTTP requests (token endpoint, error pages). */
  onRequest?: http.RequestListener;
  onConnection?: (ws: WebSocket, req: http.IncomingMessage, srv: TestServer) => void;
  /** Echo every message back (default true). */
  echo?: boolean;
}

async function startServer(setup: ServerSetup = {}): Promise<TestServer> {
  const server = http.createServer(setup.onRequest ?? ((_req, res) => res.writeHead(404).end('not found')));
  const wss = new WebSocketServer({ noServer: true, ...setup.wss });
  const srv: TestServer = { port: 0, origin: '', server, wss, upgrades: [], clients: [], received: [] };
  const sockets = new Set<Duplex>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    srv.upgrades.push({ url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    if (setup.route?.(req, socket, head)) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      srv.clients.push(ws);
      ws.on('error', () => {});
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        srv.received.push(isBinary ? data : data.toString());
        if (setup.echo !== false) ws.send(data, { binary: isBinary });
      });
      setup.onConnection?.(ws, req, srv);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  srv.port = (server.address() as net.AddressInfo).port;
  srv.origin = `ws://127.0.0.1:${srv.port}`;
  cleanups.push(async () => {
    for (const c of srv.clients) c.terminate();
    // Upgraded sockets are not the HTTP server's any more: a half-open one would hold close() forever.
    for (const so of sockets) so.destroy();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return srv;
}

function session(opts: Partial<ConnectOptions> & { url: string }): WebSocketSession {
  const s = new WebSocketSession({ transport: 'ws', timeoutMs: 5000, ...opts });
  cleanups.push(async () => {
    await s.close().catch(() => {});
  });
  return s;
}

function events<K extends InspectorEvent['type']>(s: WebSocketSession, type: K): Array<Ev<K>> {
  return [...s.log].filter((e): e is Ev<K> => e.type === type);
}


function logText(s: WebSocketSession): string {
  return JSON.stringify([...s.log]);
}

async function connectFails(s: WebSocketSession): Promise<ConnectError> {
  try {
    await s.connect();
  } catch (err) {
    assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String(err)}`);
    return err;
  }
  assert.fail(`connect() should have failed; log: ${describeLog(s)}`);
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A hand-written 101 answer, so a test can put raw frames on the wire. */
function rawAccept(req: http.IncomingMessage, socket: Duplex): void {
  const accept = createHash('sha1')
    .update(req.headers['sec-websocket-key'] + GUID)
    .digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
}

/** Close code of a masked client close frame. */
function clientCloseCode(buf: Buffer): number | undefined {
  if (buf.length < 8 || (buf[0] & 0x0f) !== 0x8) return undefined;
  const mask = buf.subarray(2, 6);
  return ((buf[6] ^ mask[0]) << 8) | (buf[7] ^ mask[1]);
}

const token = (): string => `tok_${randomBytes(12).toString('hex')}`;

// ---------------------------------------------------------------------------------------

describe('wsFrameOverhead / describeCloseCode', () => {
  it('counts 2, 4 or 10 header bytes by payload length, plus 4 when masked', () => {
    assert.equal(wsFrameOverhead(0, false), 2);
    assert.equal(wsFrameOverhead(125, false), 2);
    assert.equal(wsFrameOverhead(126, false), 4);
    assert.equal(wsFrameOverhead(65535, false), 4);
    assert.equal(wsFrameOverhead(65536, false), 10);
    assert.equal(wsFrameOverhead(125, true), 6);
    assert.equal(wsFrameOverhead(126, true), 8);
    assert.equal(wsFrameOverhead(1 << 20, true), 14);
  });

  it('names well-known close codes', () => {
    assert.match(describeCloseCode(1006), /without a close frame/);
    assert.match(describeCloseCode(1009), /too big/);
    assert.match(describeCloseCode(4001), /application/);
  });
});

describe('WebSocketSession: handshake', () => {
  it('opens and logs the exact handshake request, the 101, timing and negotiation', async () => {
    const srv = await startServer({ wss: { perMessageDeflate: true } });
    const s = session({ url: `${srv.origin}/live?room=1`, subprotocols: ['chat'] });
    await s.connect();
    assert.equal(s.state, 'open');

    const types = [...s.log].map((e) => e.type);
    assert.deepEqual(types.slice(0, 5), ['session', 'state', 'request', 'response', 'timing']);
    const req = events(s, 'request')[0];
    assert.equal(req.purpose, 'upgrade');
    assert.equal(req.url, `${srv.origin}/live?room=1`);
    const h = new Map(req.headers.map(([k, v]) => [k.toLowerCase(), v]));
    assert.equal(h.get('upgrade'), 'websocket');
    assert.equal(h.get('connection'), 'Upgrade');
    assert.equal(h.get('sec-websocket-version'), '13');
    assert.equal(h.get('host'), `127.0.0.1:${srv.port}`);
    assert.equal(h.get('sec-websocket-protocol'), 'chat');
    assert.equal(h.get('sec-websocket-key'), srv.upgrades[0].headers['sec-websocket-key']);
    assert.match(h.get('sec-websocket-extensions') ?? '', /permessage-deflate/);
    const head = `GET /live?room=1 HTTP/1.1\r\n${req.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    assert.equal(req.headerBytes, Buffer.byteLength(head));

    const res = events(s, 'response')[0];
    assert.equal(res.status, 101);
    assert.equal(res.requestId, req.requestId);
    assert.ok(res.headers.some(([k]) => k.toLowerCase() === 'sec-websocket-accept'));
    assert.ok(res.headerBytes > 50);

    const timing = events(s, 'timing')[0];
    assert.equal(timing.requestId, req.requestId);
    assert.equal(timing.dns, undefined, 'an IP literal needs no DNS lookup');
    assert.equal(typeof timing.tcp, 'number');
    assert.equal(timing.tls, undefined);
    assert.equal(typeof timing.ttfb, 'number');
    assert.ok(timing.total >= (timing.ttfb ?? 0));
    assert.equal(timing.remoteAddress, '127.0.0.1');
    assert.equal(timing.remotePort, srv.port);

    const infos = events(s, 'info');
    assert.ok(infos.some((i) => i.key === 'subprotocol' && /chat/.test(i.message)));
    assert.ok(infos.some((i) => i.key === 'permessage-deflate' && /negotiated: permessage-deflate/.test(i.message)));
    const open = events(s, 'state').find((e) => e.state === 'open')!;
    assert.ok(infos.every((i) => i.seq < open.seq), 'negotiation is logged before the state turns open');
  });

  it('says when permessage-deflate was offered but not accepted', async () => {
    const srv = await startServer();
    const s = session({ url: srv.origin });
    await s.connect();
    assert.ok(events(s, 'info').some((i) => i.key === 'permessage-deflate' && /did not accept/.test(i.message)));
  });

  it('401 on upgrade: ConnectError with the status and the start of the body', async () => {
    const srv = await startServer({
      route: (_req, socket) => {
        const body = '{"error":"invalid_token","hint":"log in again"}';
        socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return true;
      },
    });
    const s = session({ url: srv.origin });
    const err = await connectFails(s);
    assert.equal(err.code, 'HTTP_STATUS');
    assert.match(err.message, /^The server answered 401 Unauthorized instead of upgrading to WebSocket/);
    assert.match(err.message, /\{"error":"invalid_token"/);
    assert.equal(events(s, 'response')[0].status, 401);
    const fatal = events(s, 'error').find((e) => e.fatal)!;
    assert.equal(fatal.message, err.message);
    assert.equal(fatal.requestId, events(s, 'request')[0].requestId);
    assert.equal(s.state, 'closed');
    await s.closed;
  });

  it('200 with an HTML page instead of an upgrade says it looks like a web page', async () => {
    const srv = await startServer({
      route: (_req, socket) => {
        const body = '<!doctype html><html><title>Welcome</title></html>';
        socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return true;
      },
    });
    const s = session({ url: srv.origin });
    const err = await connectFails(s);
    assert.match(err.message, /answered 200 OK instead of upgrading/);
    assert.match(err.message, /HTML page/);
    assert.match(err.message, /<!doctype html>/);
  });

  it('handshake timeout: the server accepts TCP but never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((c) => {
      sockets.push(c);
      c.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const c of sockets) c.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const s = session({ url: `ws://127.0.0.1:${port}/`, timeoutMs: 300 });
    const err = await connectFails(s);
    assert.equal(err.code, 'TIMEOUT');
    assert.match(err.message, /within 300 ms/);
    assert.match(err.message, /accepted the connection but never responded/);
    assert.equal(events(s, 'request').length, 1, 'the request that went unanswered is logged');
  });

  it('connection refused gives a clear message', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = session({ url: `ws://127.0.0.1:${port}/` });
    const err = await connectFails(s);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.match(err.message, /Connection refused .*nothing is listening/);
  });

  it('rejects a URL that is not ws/wss/http/https, and a malformed one', async () => {
    const a = session({ url: 'ftp://127.0.0.1/' });
    assert.match((await connectFails(a)).message, /starts with ws:\/\/ or wss:\/\//);
    const b = session({ url: 'not a url' });
    assert.equal((await connectFails(b)).code, 'BAD_URL');
  });

  it('rejects an invalid subprotocol by name before sending anything', async () => {
    const s = session({ url: 'ws://127.0.0.1:9/', subprotocols: ['good', 'bad one'] });
    const err = await connectFails(s);
    assert.equal(err.code, 'BAD_SUBPROTOCOL');
    assert.match(err.message, /"bad one" is not valid/);
  });
});

describe('WebSocketSession: messages', () => {
  it('text and binary in and out with sizes, opcodes and frame overhead', async () => {
    const srv = await startServer();
    const s = session({ url: srv.origin });
    await s.connect();

    await s.send('héllo');
    const inText = await waitFor(s, 'message', (m) => m.direction === 'in' && !m.binary);
    const outText = events(s, 'message').find((m) => m.direction === 'out')!;
    assert.deepEqual([outText.size, outText.opcode, outText.binary, outText.overheadBytes, outText.data], [6, 1, false, 6, 'héllo']);
    assert.deepEqual([inText.size, inText.opcode, inText.binary, inText.overheadBytes, inText.data], [6, 1, false, 2, 'héllo']);

    const bytes = randomBytes(300);
    await s.send(bytes);
    const inBin = await waitFor(s, 'message', (m) => m.direction === 'in' && m.binary);
    const outBin = events(s, 'message').find((m) => m.direction === 'out' && m.binary)!;
    assert.deepEqual([outBin.size, outBin.opcode, outBin.overheadBytes], [300, 2, 8]);
    assert.deepEqual([inBin.size, inBin.opcode, inBin.overheadBytes], [300, 2, 4]);
    assert.ok(inBin.data instanceof Uint8Array);
    assert.ok(Buffer.from(inBin.data).equals(bytes));

    const big = Buffer.alloc(70_000, 7);
    await s.send(big);
    const inBig = await waitFor(s, 'message', (m) => m.direction === 'in' && m.size === 70_000);
    assert.equal(inBig.overheadBytes, 10);

    await s.send('as bytes', { binary: true });
    const asBin = await waitFor(s, 'message', (m) => m.direction === 'in' && m.binary && m.size === 8);
    assert.equal(Buffer.from(asBin.data as Uint8Array).toString(), 'as bytes');
    assert.deepEqual(srv.received.slice(0, 1), ['héllo']);
    assert.equal(s.stats.messagesIn, 4);
    assert.equal(s.stats.messagesOut, 4);
  });

  it('JSON goes out as one text frame the server can parse', async () => {
    const srv = await startServer({
      echo: false,
      onConnection: (ws) =>
        ws.on('message', (d: Buffer) => {
          const j = JSON.parse(d.toString()) as { type: string; channel: string };
          ws.send(JSON.stringify({ ok: true, subscribed: j.channel }));
        }),
    });
    const s = session({ url: srv.origin });
    await s.connect();
    await s.send(JSON.stringify({ type: 'subscribe', channel: 'prices' }));
    const reply = await waitFor(s, 'message', (m) => m.direction === 'in');
    assert.deepEqual(JSON.parse(reply.data as string), { ok: true, subscribed: 'prices' });
  });

  it('send() while not open is an error event and a rejected promise', async () => {
    const s = session({ url: 'ws://127.0.0.1:9/' });
    await assert.rejects(s.send('x'), /Cannot send: the WebSocket is not open/);
    assert.equal(events(s, 'error')[0].code, 'NOT_OPEN');
  });

  it('ping/pong both ways, including the automatic pong', async () => {
    let gotPong!: (data: string) => void;
    const serverGotPong = new Promise<string>((r) => (gotPong = r));
    const srv = await startServer({ onConnection: (ws) => ws.on('pong', (d: Buffer) => gotPong(d.toString())) });
    const s = session({ url: srv.origin });
    await s.connect();
    s.ping('hi');
    const pongIn = await waitFor(s, 'pong', (p) => p.direction === 'in');
    assert.equal(Buffer.from(pongIn.data).toString(), 'hi');
    assert.equal(events(s, 'ping')[0].direction, 'out');
    srv.clients[0].ping('srv');
    const pingIn = await waitFor(s, 'ping', (p) => p.direction === 'in');
    assert.equal(Buffer.from(pingIn.data).toString(), 'srv');
    const pongOut = await waitFor(s, 'pong', (p) => p.direction === 'out');
    assert.ok(pongOut.seq > pingIn.seq);
    assert.equal(await serverGotPong, 'srv');
    assert.deepEqual([s.stats.pingsOut, s.stats.pongsIn, s.stats.pingsIn, s.stats.pongsOut], [1, 1, 1, 1]);
    assert.throws(() => s.ping('x'.repeat(126)), /at most 125 bytes/);
  });

  it('log cap holds under a flood of 5,000 messages and counts what it dropped', async () => {
    const srv = await startServer({
      onConnection: (ws) => {
        for (let i = 0; i < 5000; i++) ws.send(`m${i}`);
      },
    });
    const s = session({ url: srv.origin, logCap: 200 });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'm4999', 15_000);
    assert.equal(s.stats.messagesIn, 5000);
    assert.equal(s.log.size, 200);
    assert.equal(s.log.dropped, s.log.total - 200);
    assert.ok(s.log.dropped > 4800);
    const last = s.log.at(s.log.size - 1)!;
    assert.equal(last.type === 'message' && last.data, 'm4999');
  });
});

  it('a burst recorded without event objects reads back whole, in seq and time order, with pings between', async () => {
    const big = Buffer.alloc(70_000, 7);
    const srv = await startServer({
      echo: false,
      onConnection: (ws) => {
        for (let i = 0; i < 3000; i++) {
          ws.send(i % 500 === 0 ? `ü${i}→` : `m${i}`);
          if (i % 1000 === 0) ws.ping(`p${i}`);
          if (i === 1500) ws.send(big, { binary: true });
        }
        ws.send(Buffer.from([0, 1, 2]), { binary: true });
        ws.send('done');
      },
    });
    const s = session({ url: srv.origin });
    const appended: Array<string | undefined> = [];
    const seen: string[] = [];
    s.onAppend((ev) => appended.push(ev?.type));
    s.onEvent((ev) => {
      if (ev.type === 'message' && typeof ev.data === 'string') seen.push(ev.data);
    });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'done', 15_000);
    const msgs = events(s, 'message');
    assert.equal(msgs.length, 3003);
    assert.equal(msgs[0].data, 'ü0→');
    assert.equal(msgs[0].size, Buffer.byteLength('ü0→'));
    assert.equal(msgs[2].data, 'm2');
    const bigEv = msgs.find((m) => m.size === 70_000)!;
    assert.ok(bigEv.binary && Buffer.from(bigEv.data as Uint8Array).equals(big));
    assert.deepEqual([...(msgs[3001].data as Uint8Array)], [0, 1, 2]);
    assert.equal(s.stats.messagesIn, 3003);
    // The live stats (counted without objects) equal the stats reduced from the events read back.
    const again = createStats();
    for (const ev of s.log) updateStats(again, ev);
    for (const k of ['messagesIn', 'payloadBytesIn', 'overheadBytesIn', 'pingsIn', 'firstT', 'lastT'] as const) assert.equal(s.stats[k], again[k], k);
    assert.deepEqual(s.stats.arrivalsT, again.arrivalsT);
    // Messages take their chunk's read time: t never goes backwards in seq order, pings included.
    const all = [...s.log];
    for (let i = 1; i < all.length; i++) {
      assert.equal(all[i].seq, all[i - 1].seq + 1);
      assert.ok(all[i].t >= all[i - 1].t, `t of seq ${all[i].seq} (${all[i].t}) before seq ${all[i - 1].seq} (${all[i - 1].t})`);
    }
    assert.equal(events(s, 'ping').length, 3);
    // onEvent listeners get every message as an object; onAppend listeners get none for them.
    assert.equal(seen.length, 3001, "every text message, as a string");
    assert.equal(appended.filter((t) => t === undefined).length, 3003);
    assert.ok(appended.includes('state') && appended.includes('ping'));
  });

describe('WebSocketSession: closing and protocol errors', () => {
  for (const [code, reason] of [
    [1000, 'bye'],
    [1001, 'server restarting'],
    [4001, 'token expired'],
  ] as const) {
    it(`server close ${code} is reported with its reason, by server, clean`, async () => {
      const srv = await startServer({ onConnection: (ws) => setImmediate(() => ws.close(code, reason)) });
      const s = session({ url: srv.origin });
      await s.connect();
      const close = await waitFor(s, 'close');
      assert.deepEqual([close.code, close.reason, close.by, close.wasClean], [code, reason, 'server', true]);
      await s.closed;
      assert.equal(s.state, 'closed');
    });
  }

  it('network drop (socket destroyed) is 1006 by network', async () => {
    const srv = await startServer({ onConnection: (ws) => setImmediate(() => ws.terminate()) });
    const s = session({ url: srv.origin });
    await s.connect();
    const close = await waitFor(s, 'close');
    assert.deepEqual([close.code, close.by, close.wasClean], [1006, 'network', false]);
    assert.match(close.reason, /without a close frame/);
    await s.closed;
  });

  it('close() runs the closing handshake with the given code and reason', async () => {
    let serverSaw: [number, string] | undefined;
    const srv = await startServer({ onConnection: (ws) => ws.on('close', (c: number, r: Buffer) => (serverSaw = [c, r.toString()])) });
    const s = session({ url: srv.origin });
    await s.connect();
    await s.close(4000, 'done here');
    const close = events(s, 'close')[0];
    assert.deepEqual([close.code, close.by, close.wasClean], [4000, 'client', true]);
    assert.ok(events(s, 'state').some((e) => e.state === 'closing'));
    assert.equal(s.state, 'closed');
    await s.closed;
    await new Promise<void>((r) => (serverSaw ? r() : srv.clients[0].once('close', () => r())));
    assert.deepEqual(serverSaw, [4000, 'done here']);
    await assert.rejects(s.close(1005), /cannot be sent/);
  });

  it('close() cuts the socket when the server never answers the close frame', async () => {
    const srv = await startServer({
      route: (req, socket) => {
        rawAccept(req, socket); // then ignores everything the client sends
        return true;
      },
    });
    const s = session({ url: srv.origin });
    await s.connect();
    await s.close(1000, 'bye');
    const close = events(s, 'close');
    assert.equal(close.length, 1);
    assert.deepEqual([close[0].code, close[0].by, close[0].wasClean], [1000, 'client', false]);
    assert.match(close[0].reason, /close frame/);
    assert.equal(s.state, 'closed');
  });

  it('invalid UTF-8 in a text frame: named error, earlier frames kept, client closes 1007', async () => {
    let gotClientFrame!: (frame: Buffer) => void;
    const clientFrame = new Promise<Buffer>((r) => (gotClientFrame = r));
    const srv = await startServer({
      route: (req, socket) => {
        rawAccept(req, socket);
        socket.write(Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('hello')]));
        socket.write(Buffer.from([0x81, 2, 0xff, 0xfe]));
        socket.once('data', gotClientFrame);
        socket.once('end', () => socket.end());
        return true;
      },
    });
    const s = session({ url: srv.origin });
    await s.connect();
    const err = await waitFor(s, 'error');
    const close = await waitFor(s, 'close');
    assert.equal(err.code, 'WS_ERR_INVALID_UTF8');
    assert.match(err.message, /not valid UTF-8/);
    assert.ok(err.seq < close.seq);
    const msgs = events(s, 'message');
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0].data, 'hello');
    assert.equal(close.code, 1007);
    assert.equal(close.by, 'client');
    assert.equal(clientCloseCode(await clientFrame), 1007, 'the client told the server why');
    await s.closed;
  });

  it('a message over maxPayload closes with 1009', async () => {
    const srv = await startServer({ onConnection: (ws) => ws.send('x'.repeat(2048)) });
    const s = session({ url: srv.origin, maxPayload: 1024 });
    await s.connect();
    const err = await waitFor(s, 'error');
    assert.equal(err.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    assert.match(err.message, /larger than the maxPayload limit \(1024 bytes\)/);
    const close = await waitFor(s, 'close');
    assert.equal(close.code, 1009);
    assert.equal(events(s, 'message').length, 0);
  });
});

describe('WebSocketSession: auth placements never leak the token', () => {
  async function authCase(auth: ConnectOptions['auth'], setup: ServerSetup = {}, extra: Partial<ConnectOptions> = {}) {
    const srv = await startServer(setup);
    const s = session({ url: `${srv.origin}/ws`, auth, ...extra });
    return { srv, s };
  }

  it('query parameter', async () => {
    const t = token();
    const { srv, s } = await authCase({ method: 'query', param: 'access_token', token: t });
    await s.connect();
    assert.equal(new URL(srv.upgrades[0].url, 'http://x').searchParams.get('access_token'), t);
    assert.equal(events(s, 'auth')[0].method, 'query');
    assert.ok(!logText(s).includes(t));
  });

  it('bearer header', async () => {
    const t = token();
    const { srv, s } = await authCase({ method: 'bearer', token: t });
    await s.connect();
    assert.equal(srv.upgrades[0].headers.authorization, `Bearer ${t}`);
    assert.ok(!logText(s).includes(t));
  });

  it('cookie', async () => {
    const t = token();
    const { srv, s } = await authCase({ method: 'cookie', name: 'sid', value: t });
    await s.connect();
    assert.equal(srv.upgrades[0].headers.cookie, `sid=${t}`);
    assert.ok(!logText(s).includes(t));
  });

  it('custom header', async () => {
    const t = token();
    const { srv, s } = await authCase({ method: 'header', name: 'X-Custom-Auth', value: t });
    await s.connect();
    assert.equal(srv.upgrades[0].headers['x-custom-auth'], t);
    assert.ok(!logText(s).includes(t));
  });

  it('subprotocol, echoed by the server', async () => {
    const t = token();
    const { srv, s } = await authCase({ method: 'subprotocol', token: t, marker: 'access_token' }, { wss: { handleProtocols: (p) => (p.has('access_token') ? 'access_token' : false) } });
    await s.connect();
    assert.equal(srv.upgrades[0].headers['sec-websocket-protocol'], `access_token,${t}`);
    assert.ok(events(s, 'info').some((i) => i.key === 'subprotocol' && /access_token/.test(i.message)));
    assert.ok(!logText(s).includes(t));
  });

  it('subprotocol, NOT echoed: fails as a browser would, response headers kept', async () => {
    const t = token();
    const { srv, s } = await authCase({ method: 'subprotocol', token: t, marker: 'access_token' }, { wss: { handleProtocols: () => false } });
    const err = await connectFails(s);
    assert.equal(err.code, 'WS_NO_SUBPROTOCOL');
    assert.match(err.message, /did not echo a subprotocol.*browsers close this connection \(RFC 6455 §4\.1\)/);
    assert.equal(srv.upgrades[0].headers['sec-websocket-protocol'], `access_token,${t}`);
    assert.equal(events(s, 'response')[0].status, 101);
    assert.ok(!logText(s).includes(t));
    assert.ok(!err.message.includes(t));
  });

  it('first message after open', async () => {
    const t = token();
    const { srv, s } = await authCase({ method: 'first-message', token: t });
    await s.connect();
    const echoed = await waitFor(s, 'message', (m) => m.direction === 'in');
    assert.deepEqual(JSON.parse(srv.received[0] as string), { type: 'auth', token: t });
    const out = events(s, 'message').find((m) => m.direction === 'out')!;
    assert.equal(out.redacted, true);
    assert.ok(out.seq > events(s, 'state').find((e) => e.state === 'open')!.seq);
    // The server echoed it: the incoming copy is redacted too.
    assert.equal(echoed.redacted, true);
    assert.deepEqual(JSON.parse(echoed.data as string), { type: 'auth', token: '«redacted …' + t.slice(-4) + '»' });
    assert.ok(!logText(s).includes(t));
  });

  it('token-url: fetches a short-lived token, places it as bearer, logs neither token nor client secret', async () => {
    const short = token();
    const secret = `cs_${randomBytes(8).toString('hex')}`;
    const srv = await startServer({
      onRequest: (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => {
          const ok = req.url === '/token' && (JSON.parse(body || '{}') as { client_secret?: string }).client_secret === secret;
          res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ access_token: short, expires_in: 60 }) : '{"error":"nope"}');
        });
      },
    });
    const s = session({ url: `${srv.origin}/ws`, auth: { method: 'token-url', url: `http://127.0.0.1:${srv.port}/token`, body: JSON.stringify({ client_secret: secret }) } });
    await s.connect();
    assert.equal(srv.upgrades[0].headers.authorization, `Bearer ${short}`);
    const auth = events(s, 'auth');
    assert.equal(auth[0].method, 'token-url');
    assert.equal(auth[0].ttlSeconds, 60);
    assert.deepEqual(
      events(s, 'request').map((r) => r.purpose),
      ['token', 'upgrade'],
    );
    const text = logText(s);
    assert.ok(!text.includes(short));
    assert.ok(!text.includes(secret));
  });

  it('showSecrets reveals the token in the log', async () => {
    const t = token();
    const { s } = await authCase({ method: 'bearer', token: t }, {}, { showSecrets: true });
    await s.connect();
    assert.ok(logText(s).includes(t));
  });
});

describe('WebSocketSession: redirects', () => {
  it('follows a same-origin redirect with the credential kept', async () => {
    const t = token();
    const srv = await startServer({
      route: (req, socket) => {
        if (!req.url?.startsWith('/old')) return false;
        socket.end('HTTP/1.1 307 Temporary Redirect\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n');
        return true;
      },
    });
    const s = session({ url: `${srv.origin}/old`, auth: { method: 'bearer', token: t } });
    await s.connect();
    const r = events(s, 'redirect')[0];
    assert.deepEqual([r.status, r.crossOrigin, r.followed, r.stripped], [307, false, true, []]);
    assert.equal(srv.upgrades[1].url, '/new');
    assert.equal(srv.upgrades[1].headers.authorization, `Bearer ${t}`);
    assert.equal(events(s, 'request').length, 2);
    assert.equal(events(s, 'timing').length, 2);
  });

  it('does not follow a cross-origin redirect by default', async () => {
    const t = token();
    const b = await startServer();
    const a = await startServer({
      route: (_req, socket) => {
        socket.end(`HTTP/1.1 302 Found\r\nLocation: ${b.origin}/landing?access_token=${t}\r\nContent-Length: 0\r\n\r\n`);
        return true;
      },
    });
    const s = session({ url: `${a.origin}/ws`, auth: { method: 'query', param: 'access_token', token: t } });
    const err = await connectFails(s);
    assert.equal(err.code, 'REDIRECT_REFUSED');
    assert.match(err.message, /another origin/);
    const r = events(s, 'redirect')[0];
    assert.deepEqual([r.status, r.crossOrigin, r.followed], [302, true, false]);
    assert.equal(b.upgrades.length, 0);
    assert.ok(!logText(s).includes(t));
  });

  const carriers: Array<[string, ConnectOptions['auth']]> = [
    ['query', { method: 'query', param: 'access_token', token: 'T' }],
    ['bearer', { method: 'bearer', token: 'T' }],
    ['cookie', { method: 'cookie', name: 'sid', value: 'T' }],
    ['header', { method: 'header', name: 'X-Custom-Auth', value: 'T' }],
    ['subprotocol', { method: 'subprotocol', token: 'T', marker: 'access_token' }],
    ['first-message', { method: 'first-message', token: 'T' }],
  ];
  for (const [name, template] of carriers) {
    it(`with redirects "all", follows across origins with no ${name} credential reaching the other server`, async () => {
      const t = token();
      const auth = JSON.parse(JSON.stringify(template).replace('"T"', JSON.stringify(t))) as ConnectOptions['auth'];
      const b = await startServer();
      const a = await startServer({
        wss: { handleProtocols: (p) => (p.has('access_token') ? 'access_token' : false) },
        route: (_req, socket) => {
          // The Location copies the token, as a careless server might.
          socket.end(`HTTP/1.1 302 Found\r\nLocation: ${b.origin}/landing?keep=1&access_token=${t}\r\nContent-Length: 0\r\n\r\n`);
          return true;
        },
      });
      const s = session({
        url: `${a.origin}/ws`,
        auth,
        redirects: 'all',
        headers: [
          ['X-Api-Key', 'k'],
          ['X-Trace', 'keep-me'],
        ],
      });
      await s.connect();
      const r = events(s, 'redirect')[0];
      assert.deepEqual([r.crossOrigin, r.followed], [true, true]);
      assert.ok(r.stripped.length >= 2, `stripped: ${r.stripped.join(', ')}`);
      assert.equal(a.upgrades.length, 1);
      assert.equal(b.upgrades.length, 1);
      const seen = b.upgrades[0];
      assert.equal(new URL(seen.url, 'http://x').searchParams.get('keep'), '1');
      assert.equal(seen.headers['x-trace'], 'keep-me');
      assert.equal(seen.headers['x-api-key'], undefined);
      // Messages on one connection arrive in order: once the probe is echoed, a first message would have been seen.
      await s.send('probe');
      await waitFor(s, 'message', (m) => m.direction === 'in' && m.data === 'probe');
      assert.deepEqual(b.received, ['probe']);
      assert.ok(!JSON.stringify(b.upgrades).includes(t), `credential reached the second server: ${JSON.stringify(seen)}`);
      assert.ok(!logText(s).includes(t));
    });
  }
});

describe('WebSocketSession: reconnect', () => {
  it('reconnects after a server-side drop with a new, fully logged handshake', async () => {
    let n = 0;
    const srv = await startServer({ onConnection: (ws) => (++n === 1 ? setImmediate(() => ws.terminate()) : undefined) });
    const s = session({ url: srv.origin, reconnect: { enabled: true, initialDelayMs: 20, maxDelayMs: 50 } });
    await s.connect();
    const reconnect = await waitFor(s, 'reconnect');
    const secondOpen = await waitFor(s, 'state', (e) => e.state === 'open' && e.seq > reconnect.seq);
    assert.equal(reconnect.attempt, 1);
    assert.ok(reconnect.delayMs >= 10 && reconnect.delayMs <= 20, `delay ${reconnect.delayMs}`);
    assert.match(reconnect.reason, /connection lost/);
    const close = events(s, 'close')[0];
    assert.equal(close.by, 'network');
    assert.ok(close.seq < reconnect.seq);
    const after = [...s.log].filter((e) => e.seq > reconnect.seq && e.seq < secondOpen.seq).map((e) => e.type);
    for (const t of ['request', 'response', 'timing'] as const) assert.ok(after.includes(t), `missing ${t} after the reconnect: ${after.join(', ')}`);
    assert.equal(srv.upgrades.length, 2);
    await s.send('again');
    await waitFor(s, 'message', (m) => m.direction === 'in' && m.data === 'again');
    await s.close();
    await s.closed;
  });

  it('close() during a pending reconnect ends at once', async () => {
    const srv = await startServer({ onConnection: (ws) => setImmediate(() => ws.terminate()) });
    const s = session({ url: srv.origin, reconnect: { enabled: true, initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    await s.connect();
    await waitFor(s, 'reconnect');
    let settled = false;
    void s.closed.then(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, false, '`closed` waits while a reconnect is pending');
    await s.close();
    await s.closed;
    assert.equal(s.state, 'closed');
    assert.equal(events(s, 'request').length, 1);
    assert.equal(srv.upgrades.length, 1);
  });

  it('gives up after maxAttempts', async () => {
    let n = 0;
    const srv = await startServer({
      route: (_req, socket) => {
        if (++n === 1) return false;
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy');
        return true;
      },
      onConnection: (ws) => setImmediate(() => ws.terminate()),
    });
    const s = session({ url: srv.origin, reconnect: { enabled: true, initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 } });
    await s.connect();
    const gaveUp = await waitFor(s, 'error', (e) => e.code === 'RECONNECT_GAVE_UP');
    assert.equal(gaveUp.fatal, true);
    assert.match(gaveUp.message, /after 2 attempts.*503/);
    assert.equal(events(s, 'reconnect').length, 2);
    await s.closed;
  });
});

// ---------------------------------------------------------------------------------------
// A WebSocket server not written here: Python's `websockets` (Debian: python3-websockets).

const python = findPythonWithWebsockets();

describe('WebSocketSession against python websockets', () => {
  let server: { port: number; stop(): void } | undefined;
  after(() => server?.stop());

  it('echoes text and binary, negotiates permessage-deflate, answers pings, closes cleanly', { skip: python ? false : PYTHON_WEBSOCKETS_MISSING }, async () => {
    server = await startPythonWebsocketsEcho(python!);
    const port = server.port;
    const s = session({ url: `ws://127.0.0.1:${port}/` });
    await s.connect();
    assert.ok(events(s, 'info').some((i) => i.key === 'permessage-deflate' && /negotiated/.test(i.message)));
    await s.send('grüße');
    const text = await waitFor(s, 'message', (m) => m.direction === 'in' && !m.binary);
    assert.deepEqual([text.data, text.size], ['grüße', 7]);
    const bytes = randomBytes(1000);
    await s.send(bytes);
    const bin = await waitFor(s, 'message', (m) => m.direction === 'in' && m.binary);
    assert.ok(Buffer.from(bin.data).equals(bytes));
    s.ping('py');
    const pong = await waitFor(s, 'pong', (e) => e.direction === 'in');
    assert.equal(Buffer.from(pong.data).toString(), 'py');
    await s.close();
    const close = events(s, 'close')[0];
    assert.deepEqual([close.code, close.by, close.wasClean], [1000, 'client', true]);
  });
});
