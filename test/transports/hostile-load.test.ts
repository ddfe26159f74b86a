/**
 * Hostile and broken endpoints, part 6: load. A server pushing as fast as it can, and one
 * sending 50 MB messages. Memory stays bounded by the log cap, the dropped counter counts,
 * and close() works at once. No rate is asserted (that would flake): counts and bounds only.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket, { WebSocketServer } from 'ws';
import type { Session } from '../../src/transports/session';
import { events, onCleanup, open, waitFor, withTimeout } from './hostile-helpers';

// A real collection before each measurement, so the bounds hold for live objects only.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--no-expose-gc');

function liveBytes(): { heap: number; buffers: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

const MB = 1024 * 1024;

/** A ws server whose connection handler does the pushing. */
async function pushServer(onConnection: (ws: WebSocket) => void, maxPayload?: number): Promise<{ url: string }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      onConnection(ws);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Sends as fast as the socket takes it: a batch, then the next one when the buffer has drained. */
function flood(ws: WebSocket, payload: string, count: number, done?: () => void): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < count && ws.readyState === WebSocket.OPEN) {
      ws.send(payload);
      sent++;
      if (ws.bufferedAmount > 4 * MB) {
        setImmediate(pump);
        return;
      }
    }
    if (sent >= count) done?.();
  };
  pump();
}

async function closesAtOnce(s: Session): Promise<void> {
  const t0 = performance.now();
  await withTimeout(s.close(), 2000, 'close() during the flood');
  await withTimeout(s.closed, 2000, '`closed` during the flood');
  assert.equal(s.state, 'closed');
  assert.ok(performance.now() - t0 < 2000);
}


/** A server that sends `big` as a binary message `count` times, one after the other, then "done". */
function bigMessages(big: Buffer, count: number): ReturnType<typeof pushServer> {
  return pushServer((ws) => {
    let i = 0;
    const next = (): void => {
      if (i++ < count) ws.send(big, { binary: true }, next);
      else ws.send('done');
    };
    next();
  });
}

describe('hostile: load', () => {
  it('a server pushing as fast as it can: every message counted, the log stays at its cap, the dropped counter counts, memory bounded, close() at once', async () => {
    const N = 60_000;
    const payload = 'x'.repeat(2048);
    const cap = 500;
    const srv = await pushServer((ws) => flood(ws, payload, N, () => ws.send('done')));
    const before = liveBytes();
    const s = open('ws', srv.url, { logCap: cap, perMessageDeflate: false });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'done', 30_000);
    assert.equal(s.stats.messagesIn, N + 1, 'no message was lost on the way in');
    assert.equal(s.log.size, cap);
    assert.equal(s.log.dropped, s.log.total - cap);
    assert.ok(s.log.dropped >= N - cap);
    const last = s.log.at(cap - 1)!;
    assert.equal(last.type === 'message' && last.data, 'done', 'the newest events are the ones kept');
    const after = liveBytes();
    // Unbounded, 60,000 × 2 KB messages would hold over 120 MB; the cap keeps 500 (about 1 MB).
    const grew = after.heap - before.heap;
    assert.ok(grew < cap * payload.length * 4 + 40 * MB, `heap grew by ${Math.round(grew / MB)} MB with a cap of ${cap}`);

    // And while it is still pushing, close() ends the session at once.
    const srv2 = await pushServer((ws) => flood(ws, payload, Number.MAX_SAFE_INTEGER));
    const s2 = open('ws', srv2.url, { logCap: cap, perMessageDeflate: false });
    await s2.connect();
    await waitFor(s2, 'message', (m) => m.seq > 5000, 30_000);
    await closesAtOnce(s2);
    assert.equal(events(s2, 'close').length, 1);
  });

  it('SSE: a server writing events as fast as it can: all counted, the log at its cap, close() at once', async () => {
    const N = 50_000;
    const cap = 300;
    const event = `data: ${'y'.repeat(1024)}\n\n`;
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      let sent = 0;
      const bounded = req.url === '/bounded';
      const pump = (): void => {
        while (!res.destroyed && (!bounded || sent < N)) {
          sent++;
          if (!res.write(event)) return void res.once('drain', pump);
        }
        if (bounded && !res.destroyed) res.write('data: done\n\n');
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const before = liveBytes();
    const s = open('sse', `${origin}/bounded`, { logCap: cap });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'done', 30_000);
    assert.equal(s.stats.messagesIn, N + 1);
    assert.equal(s.log.size, cap);
    assert.equal(s.log.dropped, s.log.total - cap);
    const grew = liveBytes().heap - before.heap;
    assert.ok(grew < cap * event.length * 4 + 40 * MB, `heap grew by ${Math.round(grew / MB)} MB with a cap of ${cap}`);
    await s.close();

    const s2 = open('sse', `${origin}/endless`, { logCap: cap });
    await s2.connect();
    await waitFor(s2, 'message', (m) => m.seq > 5000, 30_000);
    await closesAtOnce(s2);
  });

  it('50 MB messages with the DEFAULT event cap: the byte budget bounds memory, not 100,000 × 50 MB', async () => {
    const SIZE = 50 * MB;
    const COUNT = 6;
    const srv = await bigMessages(Buffer.alloc(SIZE, 0x62), COUNT);
    const before = liveBytes();
    // A 120 MiB budget: two of the 50 MB messages fit, the rest are dropped and counted.
    const s = open('ws', srv.url, { logMaxBytes: 120 * MB, maxPayload: 64 * MB, perMessageDeflate: false });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'done', 60_000);
    assert.equal(s.stats.messagesIn, COUNT + 1, 'every message counted');
    const kept = events(s, 'message').filter((m) => m.size === SIZE);
    assert.equal(kept.length, 2, `kept ${kept.length} of the big messages`);
    assert.ok(s.log.bytes <= 120 * MB, `log holds ${Math.round(s.log.bytes / MB)} MB`);
    assert.ok(s.log.dropped >= COUNT - 2, 'the dropped counter counts what the budget pushed out');
    const grew = liveBytes().buffers - before.buffers;
    assert.ok(grew < 3 * SIZE + 20 * MB, `buffers grew by ${Math.round(grew / MB)} MB`);
    await closesAtOnce(s);
  });

  it('50 MB messages (maxPayload raised): kept by reference, memory bounded by the cap, close() at once', async () => {
    const SIZE = 50 * MB;
    const COUNT = 6;
    const cap = 4; // the last few events: at most three of the big messages stay in the log
    const big = Buffer.alloc(SIZE, 0x61);
    const srv = await bigMessages(big, COUNT);
    const before = liveBytes();
    const s = open('ws', srv.url, { logCap: cap, maxPayload: 64 * MB, perMessageDeflate: false });
    await s.connect();
    await waitFor(s, 'message', (m) => m.data === 'done', 60_000);
    assert.equal(s.stats.messagesIn, COUNT + 1);
    assert.ok(s.log.dropped > 0, 'older events were dropped');
    const kept = events(s, 'message').filter((m) => m.size === SIZE);
    assert.ok(kept.length >= 1 && kept.length < COUNT, `kept ${kept.length} of the big messages`);
    assert.equal((kept[0].data as Uint8Array).byteLength, SIZE);
    const after = liveBytes();
    const grew = after.buffers - before.buffers;
    // At most the kept ones (plus one being assembled): far below COUNT × 50 MB = 300 MB.
    assert.ok(grew < (kept.length + 1) * SIZE + 20 * MB, `buffers grew by ${Math.round(grew / MB)} MB keeping ${kept.length} messages of 50 MB`);

    // close() in the middle of a 50 MB message.
    const srv2 = await pushServer((ws) => {
      const loop = (): void => {
        if (ws.readyState === WebSocket.OPEN) ws.send(big, { binary: true }, loop);
      };
      loop();
    });
    const s2 = open('ws', srv2.url, { logCap: cap, maxPayload: 64 * MB, perMessageDeflate: false });
    await s2.connect();
    await waitFor(s2, 'message', () => true, 30_000);
    await closesAtOnce(s2);
  });
});
