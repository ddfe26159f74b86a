/**
 * The benchmark's server process (forked by bench/main.ts, never in the client's process).
 * Listens on 127.0.0.1 port 0 and reports the port over IPC. Each route is a fixed, cheap
 * producer so the client under test is the bottleneck:
 *
 *   upgrade /blast?size&count&binary&wait  raw WebSocket: pre-built frames written straight to
 *                                          the socket as fast as it drains, then a close frame
 *   upgrade /echo                          ws echo server (round trips, overhead exchange)
 *   GET /sse?size&count&per                raw chunked SSE: `per` events per HTTP chunk, pre-built
 *   GET /sse-small?size&count              SSE through ServerResponse, one write per event
 *   GET /poll?size                         one JSON message per answer (short polling)
 *   GET /long-poll?size                    {"messages":[one message]} at once (long polling)
 *   GET /__tap                             the bytes of every other connection since the last
 *                                          call, then forgets them (only with BENCH_TAP=1: the
 *                                          fallback when no packet capture is possible)
 *
 * `node --import tsx bench/server.ts demo RATE` runs the real demo server instead.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { startDemoServer } from '../src/demo/server';
import { textPayload } from './lib';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const BLOCK_BYTES = 256 * 1024;

function intParam(u: URL, name: string, dflt: number): number {
  const v = u.searchParams.get(name);
  const n = v === null ? dflt : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad ${name}: ${v}`);
  return n;
}

/** Writes `blocks` then `tail`, waiting for 'drain' whenever the socket says it is full. */
async function pump(sock: Duplex, block: Buffer, blocks: number, rest: Buffer, tail: Buffer): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    if (sock.destroyed) return;
    if (!sock.write(block)) await new Promise<void>((r) => sock.once('drain', r));
  }
  if (rest.length && !sock.destroyed) sock.write(rest);
  if (!sock.destroyed) sock.write(tail);
}

function wsFrame(payload: Buffer, binary: boolean): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([binary ? 0x82 : 0x81, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = binary ? 0x82 : 0x81;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = binary ? 0x82 : 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** `count` copies of `unit`, grouped into blocks of about BLOCK_BYTES. */
function blocksOf(unit: Buffer, count: number): { block: Buffer; blocks: number; rest: Buffer } {
  const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / unit.length));
  const block = Buffer.concat(new Array<Buffer>(Math.min(perBlock, Math.max(1, count))).fill(unit));
  const per = block.length / unit.length;
  const blocks = Math.floor(count / per);
  const rest = Buffer.concat(new Array<Buffer>(count - blocks * per).fill(unit));
  return { block, blocks, rest };
}

function blastWebSocket(req: IncomingMessage, sock: Duplex, u: URL): void {
  const size = intParam(u, 'size', 100);
  const count = intParam(u, 'count', 1000);
  const binary = u.searchParams.get('binary') === '1';
  const wait = u.searchParams.get('wait') === '1';
  const accept = createHash('sha1')
    .update(String(req.headers['sec-websocket-key']) + WS_GUID)
    .digest('base64');
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const payload = binary ? Buffer.alloc(size, 0xa5) : Buffer.from(textPayload(size));
  const { block, blocks, rest } = blocksOf(wsFrame(payload, binary), count);
  const close = Buffer.from([0x88, 0x02, 0x03, 0xe8]);
  // The client's close frame (or any frame) after our close: end the TCP connection.
  let started = !wait;
  let sentClose = false;
  sock.on('data', () => {
    if (!started) {
      started = true;
      void pump(sock, block, blocks, rest, close).then(() => (sentClose = true));
    } else if (sentClose) sock.end();
  });
  sock.on('error', () => sock.destroy());
  if (started) void pump(sock, block, blocks, rest, close).then(() => (sentClose = true));
}

function blastSse(res: ServerResponse, u: URL): void {
  const size = intParam(u, 'size', 100);
  const count = intParam(u, 'count', 1000);
  const per = Math.max(1, intParam(u, 'per', 1));
  const sock = res.socket as Socket;
  // Written raw so every HTTP chunk holds exactly `per` events and the server costs nothing per event.
  sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n');
  const event = Buffer.from(`data: ${textPayload(size)}\n\n`);
  const body = Buffer.concat(new Array<Buffer>(per).fill(event));
  const chunk = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]);
  const chunks = Math.floor(count / per);
  const { block, blocks, rest } = blocksOf(chunk, chunks);
  const left = count - chunks * per;
  const lastBody = Buffer.concat(new Array<Buffer>(left).fill(event));
  const last = left ? Buffer.concat([Buffer.from(`${lastBody.length.toString(16)}\r\n`), lastBody, Buffer.from('\r\n')]) : Buffer.alloc(0);
  sock.on('error', () => sock.destroy());
  void pump(sock, block, blocks, Buffer.concat([rest, last]), Buffer.from('0\r\n\r\n')).then(() => sock.end());
}

function smallSse(res: ServerResponse, u: URL): void {
  const size = intParam(u, 'size', 100);
  const count = intParam(u, 'count', 10);
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  const data = textPayload(size);
  let i = 0;
  // One write per event, a turn of the loop apart, so each event is its own chunk on the wire.
  const next = (): void => {
    if (i++ >= count) {
      res.end();
      return;
    }
    res.write(`data: ${data}\n\n`);
    setImmediate(next);
  };
  next();
}

let pollSeq = 0;
function pollAnswer(res: ServerResponse, u: URL, long: boolean): void {
  const size = intParam(u, 'size', 100);
  const head = `{"seq":${++pollSeq},"ts":${Date.now()},"data":"`;
  const msg = `${head}${textPayload(Math.max(0, size - head.length - 2))}"}`;
  const body = long ? `{"messages":[${msg}]}` : msg;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Copies of every byte read from and written to each connection (fallback for packet capture). */
interface Tap {
  sock: Socket;
  in: Buffer[];
  out: Buffer[];
}
let taps: Tap[] = [];
function tap(sock: Socket): void {
  const t: Tap = { sock, in: [], out: [] };
  taps.push(t);
  sock.on('data', (b: Buffer) => t.in.push(Buffer.from(b)));
  const write = sock.write.bind(sock) as (...a: unknown[]) => boolean;
  (sock as unknown as { write: (...a: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') t.out.push(Buffer.from(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) t.out.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  };
}

/** The taps of every connection but the asking one, then forgets them. */
function takeTaps(req: IncomingMessage, res: ServerResponse): void {
  const list = taps.filter((t) => t.sock !== req.socket);
  taps = taps.filter((t) => t.sock === req.socket);
  res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
  res.end(JSON.stringify(list.map((t) => ({ clientPort: t.sock.remotePort ?? 0, up: Buffer.concat(t.in).toString('base64'), down: Buffer.concat(t.out).toString('base64') }))));
}

async function main(): Promise<void> {
  if (process.argv[2] === 'demo') {
    const demo = await startDemoServer({ rate: Number(process.argv[3] ?? 20000), payloadSize: Number(process.argv[4] ?? 100) });
    process.send?.({ ready: true, port: demo.port, urls: demo.urls });
    process.on('disconnect', () => void demo.close().then(() => process.exit(0)));
    return;
  }
  const tapping = process.env.BENCH_TAP === '1';
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://bench.invalid');
    try {
      switch (u.pathname) {
        case '/sse':
          return blastSse(res, u);
        case '/sse-small':
          return smallSse(res, u);
        case '/poll':
          return pollAnswer(res, u, false);
        case '/long-poll':
          return pollAnswer(res, u, true);
        case '/__tap':
          return takeTaps(req, res);
        default:
          res.writeHead(404).end();
      }
    } catch (err) {
      res.writeHead(400).end(String(err));
    }
  });
  server.keepAliveTimeout = 60_000;
  if (tapping) server.on('connection', tap);
  server.on('upgrade', (req, sock, head) => {
    const u = new URL(req.url ?? '/', 'http://bench.invalid');
    if (u.pathname === '/blast') return blastWebSocket(req, sock, u);
    if (u.pathname === '/echo') return wss.handleUpgrade(req, sock, head, (ws) => wss.emit('connection', ws, req));
    sock.destroy();
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.send?.({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0 });
  });
  // The parent going away ends this process: no server outlives the benchmark.
  process.on('disconnect', () => process.exit(0));
}

void main();
