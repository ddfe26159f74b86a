import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventInit, InspectorEvent } from '../../src/shared/events';
import { toHar } from '../../src/shared/har';
import { importRecording } from '../../src/shared/importRecording';
import { createSession, type Session } from '../../src/transports/index';
import { planReplay, replay, whenReplayDone } from '../../src/transports/replay';
import { untilEvents } from '../helpers/session';

// ---------------------------------------------------------------------------------------
// A real server on 127.0.0.1:0: a ws echo that timestamps what it receives, an event
// stream that stays open, and an HTTP send endpoint that timestamps the bodies it gets.

interface Arrival {
  at: number;
  data: string;
  binary: boolean;
}

let server: http.Server;
let wss: WebSocketServer;
let origin = '';
let wsArrivals: Arrival[] = [];
let sendArrivals: Arrival[] = [];
const sockets = new Set<Socket | Duplex>();
const clients = new Set<WebSocket>();
const sessions: Session[] = [];
const arrivalWaiters = new Set<() => void>();

/** Resolves once the server has received `n` messages on `list()` (ws frames or HTTP sends). */
function arrived(list: () => Arrival[], n: number, ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (list().length < n) return;
      clearTimeout(timer);
      arrivalWaiters.delete(check);
      resolve();
    };
    const timer = setTimeout(() => {
      arrivalWaiters.delete(check);
      reject(new Error(`the server got ${list().length} of ${n} messages within ${ms} ms`));
    }, ms);
    arrivalWaiters.add(check);
    check();
  });
}

function noteArrival(): void {
  for (const w of [...arrivalWaiters]) w();
}

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(': open\n\n');
        return; // held open until the client goes
      }
      if (req.url === '/send' && req.method === 'POST') {
        const body = Buffer.concat(chunks);
        sendArrivals.push({ at: performance.now(), data: body.toString('utf8'), binary: req.headers['content-type'] === 'application/octet-stream' });
        noteArrival();
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(`{"got":${body.length}}`);
        return;
      }
      res.writeHead(404).end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('error', () => {});
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        wsArrivals.push({ at: performance.now(), data: isBinary ? data.toString('hex') : data.toString(), binary: isBinary });
        noteArrival();
        ws.send(data, { binary: isBinary });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  while (sessions.length) await sessions.pop()!.close().catch(() => {});
  wsArrivals = [];
  sendArrivals = [];
});

after(async () => {
  for (const c of clients) c.terminate();
  for (const s of sockets) s.destroy();
  wss.close();
  await new Promise<void>((r) => server.close(() => r()));
});

/** A recording built by hand: opened at t = 100, messages out at the given offsets from the open. */
function recording(outs: Array<{ at: number; data: string | Uint8Array; redacted?: boolean }>, extra: EventInit[] = []): InspectorEvent[] {
  const evs: EventInit[] = [
    { type: 'session', transport: 'ws', url: 'ws://recorded.test/ws', wallStart: 1_700_000_000_000, options: {} },
    { type: 'state', state: 'connecting', previous: 'closed' },
    ...extra,
    { type: 'state', state: 'open', previous: 'connecting' },
  ];
  // The open is at t = 100; everything before it a little earlier.
  const out = evs.map((e, i) => ({ ...e, seq: i, t: i === evs.length - 1 ? 100 : i * 10 }) as InspectorEvent);
  for (const o of outs) {
    const binary = typeof o.data !== 'string';
    out.push({ type: 'message', seq: out.length, t: 100 + o.at, direction: 'out', size: typeof o.data === 'string' ? o.data.length : o.data.byteLength, binary, data: o.data, opcode: binary ? 2 : 1, ...(o.redacted ? { redacted: true } : {}) });
    out.push({ type: 'message', seq: out.length, t: 100 + o.at + 3, direction: 'in', size: 1, binary: false, data: 'answer' });
  }
  return out;
}

function track(s: Session): Session {
  sessions.push(s);
  return s;
}

const gaps = (ts: number[]): number[] => ts.slice(1).map((x, i) => x - ts[i]);
/** When the new session sent each message (its own clock): transit jitter to the server does not blur the spacing. */
const sentTimes = (s: Session): number[] => [...s.log].filter((e) => e.type === 'message' && e.direction === 'out').map((e) => e.t);
const sendRequestTimes = (s: Session): number[] => [...s.log].filter((e) => e.type === 'request' && e.purpose === 'send').map((e) => e.t);

describe('planReplay (no network)', () => {
  it('keeps outgoing messages in order with delays from the recorded open, divided by the speed', () => {
    const rec = recording([{ at: 300, data: 'b' }, { at: 0, data: 'a' }, { at: 900, data: new Uint8Array([1, 2]) }]);
    const p = planReplay(rec, 2);
    assert.equal(p.openT, 100);
    assert.deepEqual(p.steps.map((s) => [s.data instanceof Uint8Array ? 'bin' : s.data, s.delayMs, s.binary]), [
      ['a', 0, false],
      ['b', 150, false],
      ['bin', 450, true],
    ]);
  });

  it('skips the recorded first-message credential and masked payloads, saying why', () => {
    const rec = recording(
      [
        { at: 0, data: '{"type":"auth","token":"«redacted»"}', redacted: true },
        { at: 10, data: 'real' },
        { at: 20, data: 'secret «redacted»', redacted: true },
      ],
      [{ type: 'auth', method: 'first-message', carrier: 'first message after open', value: '«redacted»' }],
    );
    const p = planReplay(rec);
    assert.deepEqual(p.steps.map((s) => s.data), ['real']);
    assert.equal(p.skipped.length, 2);
    assert.match(p.skipped[0].reason, /first-message credential/);
    assert.match(p.skipped[1].reason, /masked in the recording/);
  });

  it('refuses a speed that is not > 0', () => {
    for (const bad of [0, -1, Number.NaN]) assert.throws(() => planReplay([], bad), RangeError);
  });
});

describe('replay against real servers', () => {
  it('WebSocket: sends in order with the recorded spacing; the echoes are recorded in the new session', async () => {
    const rec = recording([
      { at: 0, data: 'one' },
      { at: 400, data: 'two' },
      { at: 800, data: new Uint8Array([0xca, 0xfe]) },
    ]);
    const started = performance.now();
    const s = track(await replay(rec, { transport: 'ws', url: `ws://${origin}/ws`, timeoutMs: 5000 }));
    const result = await whenReplayDone(s);
    assert.deepEqual(result, { sent: 3, failed: 0, skipped: 0, stopped: false });
    await arrived(() => wsArrivals, 3);
    assert.deepEqual(wsArrivals.map((a) => [a.data, a.binary]), [
      ['one', false],
      ['two', false],
      ['cafe', true],
    ]);
    // Timers fire at most a millisecond early; a loaded machine may make them late, hence only loose upper bounds.
    for (const g of gaps(sentTimes(s))) assert.ok(g >= 360 && g < 3000, `gap ${g.toFixed(1)} ms, recorded 400 ms`);
    assert.ok(performance.now() - started < 8000);

    await untilEvents(s, (evs) => evs.filter((e) => e.type === 'message' && e.direction === 'in').length === 3);
    const log = [...s.log];
    assert.deepEqual(
      log.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? `${e.direction}:${typeof e.data === 'string' ? e.data : Buffer.from(e.data).toString('hex')}` : '')).sort(),
      ['in:cafe', 'in:one', 'in:two', 'out:cafe', 'out:one', 'out:two'],
    );
    assert.ok(log.some((e) => e.type === 'info' && e.key === 'replay' && /3 outgoing messages .* 1× speed/.test(e.message)));
    assert.ok(log.some((e) => e.type === 'info' && e.key === 'replay-done'));
  });

  it('speed 3 shortens the waits to a third', async () => {
    const rec = recording([
      { at: 0, data: 'a' },
      { at: 900, data: 'b' },
      { at: 1800, data: 'c' },
    ]);
    const s = track(await replay(rec, { transport: 'ws', url: `ws://${origin}/ws` }, { speed: 3 }));
    await whenReplayDone(s);
    await arrived(() => wsArrivals, 3);
    assert.deepEqual(wsArrivals.map((a) => a.data), ['a', 'b', 'c']);
    const sent = sentTimes(s);
    for (const g of gaps(sent)) assert.ok(g >= 270, `gap ${g.toFixed(1)} ms, expected 300`);
    const span = sent[2] - sent[0];
    assert.ok(span < 1500, `span ${span.toFixed(0)} ms: at 1× it would be 1800`);
  });

  it('HTTP transport (SSE + send URL): each message is a POST, in order and spaced, with its answer logged', async () => {
    const rec = recording([
      { at: 0, data: '{"n":1}' },
      { at: 300, data: '{"n":2}' },
      { at: 600, data: new Uint8Array([1, 2, 3]) },
    ]);
    const s = track(await replay(rec, { transport: 'sse', url: `http://${origin}/stream`, sendUrl: `http://${origin}/send`, reconnect: { enabled: false } }));
    const result = await whenReplayDone(s);
    assert.equal(result.sent, 3);
    assert.deepEqual(sendArrivals.map((a) => [a.data, a.binary]), [
      ['{"n":1}', false],
      ['{"n":2}', false],
      ['\u0001\u0002\u0003', true],
    ]);
    for (const g of gaps(sendRequestTimes(s))) assert.ok(g >= 270 && g < 3000, `gap ${g.toFixed(1)} ms, recorded 300 ms`);
    const log = [...s.log];
    const sends = log.filter((e) => e.type === 'request' && e.purpose === 'send');
    assert.equal(sends.length, 3);
    for (const r of sends) {
      assert.ok(log.some((e) => e.type === 'response' && r.type === 'request' && e.requestId === r.requestId && e.status === 200), 'each send has its answer');
    }
  });

  it('a recording exported as HAR, imported and replayed: the same messages reach the server in the same order', async () => {
    const live = track(createSession({ transport: 'ws', url: `ws://${origin}/ws` }));
    await live.connect();
    await live.send('first');
    await untilEvents(live, (evs) => evs.some((e) => e.type === 'message' && e.direction === 'in'));
    await live.send(new Uint8Array([7, 7]));
    await live.send('third');
    await untilEvents(live, (evs) => evs.filter((e) => e.type === 'message' && e.direction === 'in').length === 3);
    await live.close();
    await arrived(() => wsArrivals, 3);
    wsArrivals = [];

    const har = JSON.stringify(toHar(live.log, { transport: 'ws', url: live.options.url, wallStart: live.wallStart, creator: { name: 'test', version: '1' } }, { includeSecrets: false }));
    const { events } = importRecording(har);
    const s = track(await replay(events, { transport: 'ws', url: `ws://${origin}/ws` }, { speed: Infinity }));
    await whenReplayDone(s);
    await arrived(() => wsArrivals, 3);
    assert.deepEqual(wsArrivals.map((a) => a.data), ['first', '0707', 'third']);
  });

  it('closing the session stops the replay and says so', async () => {
    const rec = recording([
      { at: 0, data: 'now' },
      { at: 5000, data: 'never' },
    ]);
    const s = track(await replay(rec, { transport: 'ws', url: `ws://${origin}/ws` }));
    await untilEvents(s, (evs) => evs.some((e) => e.type === 'message' && e.direction === 'out'));
    await s.close();
    const result = await whenReplayDone(s);
    assert.equal(result.sent, 1);
    assert.equal(result.stopped, true);
    assert.ok([...s.log].some((e) => e.type === 'info' && e.key === 'replay-stopped' && /1 of 2/.test(e.message)));
    await arrived(() => wsArrivals, 1);
    assert.deepEqual(wsArrivals.map((a) => a.data), ['now']);
  });

  it('a bad speed is refused before connecting; a failed connect rejects like createSession().connect()', async () => {
    await assert.rejects(replay([], { transport: 'ws', url: `ws://${origin}/ws` }, { speed: 0 }), RangeError);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(replay(recording([{ at: 0, data: 'x' }]), { transport: 'ws', url: `ws://127.0.0.1:${port}/ws`, timeoutMs: 3000 }), { name: 'ConnectError' });
  });
});

