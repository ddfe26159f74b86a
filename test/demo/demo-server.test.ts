/**
 * The demo server against raw clients (node:http, the ws client, a small SSE line reader),
 * never the project's own transports: this is the other side of the wire they are tested on.
 * Most tests use a paused ticker and publish() so every message is deterministic.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { startDemoServer, type DemoAuthMethod, type DemoServer, type DemoServerOptions, type DemoTransport } from '../../src/demo/server';

// ---- helpers -------------------------------------------------------------------------------

const WAIT_MS = 5000;

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

type Headers = Record<string, string>;

function startRequest(url: string, opts: { method?: string; headers?: Headers; body?: string | Buffer; agent?: Agent } = {}): { req: ClientRequest; done: Promise<Res> } {
  const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false });
  const done = new Promise<Res>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
  });
  req.end(opts.body);
  return { req, done };
}

function get(url: string, headers?: Headers): Promise<Res> {
  return startRequest(url, { headers }).done;
}

function post(url: string, body: string | Buffer, headers: Headers = { 'Content-Type': 'application/json' }): Promise<Res> {
  return startRequest(url, { method: 'POST', body, headers }).done;
}

function json<T = Record<string, unknown>>(r: Res): T {
  return JSON.parse(r.text) as T;
}

interface Msg {
  seq: number;
  ts: number;
  kind: string;
  data: unknown;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits for a state to become true (checked often); fails with `what` after a generous limit. */
async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

type SseItem = { type: 'event'; id?: string; event?: string; data: string } | { type: 'comment'; text: string } | { type: 'retry'; ms: number };

/** A minimal SSE reader over node:http: keeps the raw text and the parsed items in order. */
class SseReader {
  readonly items: SseItem[] = [];
  raw = '';
  ended = false;
  private pos = 0;
  private buf = '';
  private block: { id?: string; event?: string; data: string[]; retry?: number } = { data: [] };
  private wake: (() => void) | undefined;

  private constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.raw += chunk;
      this.feed(chunk);
      this.wake?.();
    });
    const finish = () => {
      this.ended = true;
      this.wake?.();
    };
    res.on('end', finish);
    res.on('close', finish);
    res.on('error', finish);
  }

  static open(url: string, headers?: Headers): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false });
      req.on('error', reject);
      req.on('response', (res) => resolve(new SseReader(req, res)));
      req.end();
    });
  }

  /** Resolves with the next item matching `pred`, consuming everything before it. */
  async next(pred: (i: SseItem) => boolean, what = 'an SSE item'): Promise<SseItem> {
    const end = Date.now() + WAIT_MS;
    for (;;) {
      while (this.pos < this.items.length) {
        const item = this.items[this.pos++];
        if (pred(item)) return item;
      }
      if (this.ended) throw new Error(`SSE stream ended before ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  nextEvent(): Promise<Extract<SseItem, { type: 'event' }>> {
    return this.next((i) => i.type === 'event', 'an SSE event') as Promise<Extract<SseItem, { type: 'event' }>>;
  }

  async waitEnd(): Promise<void> {
    await waitUntil(() => this.ended, 'the SSE stream to end');
  }

  close(): void {
    this.req.destroy();
  }

  private feed(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (line === '') {
        const b = this.block;
        if (b.retry !== undefined) this.items.push({ type: 'retry', ms: b.retry });
        if (b.data.length) this.items.push({ type: 'event', id: b.id, event: b.event, data: b.data.join('\n') });
        this.block = { data: [] };
      } else if (line.startsWith(':')) {
        this.items.push({ type: 'comment', text: line.slice(1).trim() });
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') this.block.data.push(value);
        else if (field === 'id') this.block.id = value;
        else if (field === 'event') this.block.event = value;
        else if (field === 'retry') this.block.retry = Number(value);
      }
    }
  }
}

/** A WebSocket client that queues every message so tests can await them in order. */
class WsClient {
  readonly inbox: Array<{ data: Buffer; isBinary: boolean }> = [];
  closed: { code: number; reason: string } | undefined;
  private pos = 0;
  private wake: (() => void) | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.inbox.push({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary });
      this.wake?.();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.wake?.();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, protocols?: string[], options?: ClientOptions): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
        req.destroy();
        reject(new Error(`unexpected response ${res.statusCode ?? 0}`));
      });
    });
  }

  async next(pred: (m: { data: Buffer; isBinary: boolean }) => boolean = () => true, what = 'a WebSocket message'): Promise<{ data: Buffer; isBinary: boolean }> {
    const end = Date.now() + WAIT_MS;
    for (;;) {
      while (this.pos < this.inbox.length) {
        const m = this.inbox[this.pos++];
        if (pred(m)) return m;
      }
      if (this.closed) throw new Error(`WebSocket closed (${this.closed.code}) before ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  async nextJson(): Promise<Msg & { [k: string]: unknown }> {
    const m = await this.next((x) => !x.isBinary, 'a text frame');
    return JSON.parse(m.data.toString('utf8')) as Msg & { [k: string]: unknown };
  }

  async waitClose(): Promise<{ code: number; reason: string }> {
    await waitUntil(() => this.closed !== undefined, 'the WebSocket to close');
    return this.closed as { code: number; reason: string };
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** A handshake the server refused: the real HTTP response instead of a 101. */
function wsRejected(url: string, protocols?: string[], options?: ClientOptions): Promise<Res> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.on('error', () => undefined);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`WebSocket to ${url} opened but should have been refused`));
    });
    ws.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
  });
}

/** A handshake by hand, to see exactly what the 101 (or refusal) carries. */
function rawUpgrade(url: string, headers: Headers = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url.replace(/^ws/, 'http'), {
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers },
    });
    req.on('error', reject);
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end();
  });
}

function assertUnauthorized(r: { status: number; headers: IncomingHttpHeaders; text: string }, reason: RegExp): void {
  assert.equal(r.status, 401, r.text);
  assert.match(String(r.headers['www-authenticate']), /^Bearer/);
  const body = JSON.parse(r.text) as { error: string; reason: string };
  assert.equal(body.error, 'unauthorized');
  assert.match(body.reason, reason);
}

// ---- the shared server: ticker paused, so every message comes from publish() ---------------

const opened: Array<{ close(): void }> = [];
function track<T extends { close(): void }>(x: T): T {
  opened.push(x);
  return x;
}

let server: DemoServer;
const extraServers: DemoServer[] = [];
async function extraServer(opts: DemoServerOptions): Promise<DemoServer> {
  const s = await startDemoServer(opts);
  extraServers.push(s);
  return s;
}

before(async () => {
  server = await startDemoServer({ rate: 0, heartbeatMs: 40, longPollTimeoutMs: 5000 });
});

after(async () => {
  for (const x of opened) x.close();
  await Promise.all([server.close(), ...extraServers.map((s) => s.close())]);
});

// ---- tests -----------------------------------------------------------------------------------

describe('demo server: basics', () => {
  it('listens on 127.0.0.1 with an ephemeral port and exposes consistent URLs', () => {
    assert.ok(server.port > 0);
    assert.equal(server.httpUrl, `http://127.0.0.1:${server.port}`);
    assert.equal(server.wsUrl, `ws://127.0.0.1:${server.port}`);
    assert.deepEqual(server.urls, {
      poll: `${server.httpUrl}/poll`,
      'long-poll': `${server.httpUrl}/long-poll`,
      sse: `${server.httpUrl}/sse`,
      ws: `${server.wsUrl}/ws`,
      wsEcho: `${server.wsUrl}/echo`,
      send: `${server.httpUrl}/send`,
      token: `${server.httpUrl}/token`,
    });
    assert.equal(server.authUrl('sse', 'bearer'), `${server.httpUrl}/auth/bearer/sse`);
    assert.equal(server.authUrl('ws', 'subprotocol'), `${server.wsUrl}/auth/subprotocol/ws`);
    assert.ok(server.demoToken.length >= 16);
  });

  it('GET / lists every URL, as text by default and as JSON on request', async () => {
    const text = await get(server.httpUrl + '/');
    assert.equal(text.status, 200);
    assert.match(String(text.headers['content-type']), /^text\/plain/);
    for (const u of Object.values(server.urls)) assert.ok(text.text.includes(u), `index lists ${u}`);
    assert.ok(text.text.includes(server.demoToken));
    const j = await get(server.httpUrl + '/', { Accept: 'application/json' });
    assert.match(String(j.headers['content-type']), /^application\/json/);
    const body = json<{ routes: Record<string, string>; demoToken: string }>(j);
    assert.equal(body.demoToken, server.demoToken);
    assert.ok(Object.keys(body.routes).some((k) => k.includes(server.urls.sse)));
  });

  it('answers unknown routes with 404 JSON and wrong methods with 405 and Allow', async () => {
    const nf = await get(server.httpUrl + '/nope');
    assert.equal(nf.status, 404);
    assert.equal(json(nf).error, 'not_found');
    const badAuth = await get(server.httpUrl + '/auth/magic/poll');
    assert.equal(badAuth.status, 404);
    assert.match(String(json(badAuth).reason), /Unknown auth method "magic"/);
    for (const [method, path, allow] of [
      ['DELETE', '/poll', 'GET, HEAD'],
      ['GET', '/send', 'POST'],
      ['PUT', '/token', 'GET, POST'],
      ['POST', '/sse', 'GET'],
    ] as const) {
      const r = await startRequest(server.httpUrl + path, { method }).done;
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.allow, allow);
      assert.equal(json(r).error, 'method_not_allowed');
    }
  });

  it('marks every response with X-Demo-Server and Server, and plain routes with CORS', async () => {
    for (const path of ['/', '/poll', '/nope', '/token', '/auth/bearer/poll']) {
      const r = await get(server.httpUrl + path);
      assert.equal(r.headers['x-demo-server'], 'realtime-inspector', path);
      assert.ok(r.headers.server, path);
    }
    assert.equal((await get(server.urls.poll)).headers['access-control-allow-origin'], '*');
    assert.equal((await get(server.authUrl('poll', 'query'))).headers['access-control-allow-origin'], undefined);
    const refused = await wsRejected(server.authUrl('ws', 'bearer'));
    assert.equal(refused.headers['x-demo-server'], 'realtime-inspector');
    const ok = await rawUpgrade(server.urls.ws);
    assert.equal(ok.status, 101);
    assert.equal(ok.headers['x-demo-server'], 'realtime-inspector');
  });

  it('answers a CORS preflight on a plain route with 204', async () => {
    const r = await startRequest(server.urls.send, { method: 'OPTIONS', headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } }).done;
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.match(String(r.headers['access-control-allow-methods']), /POST/);
    assert.equal(r.headers['access-control-allow-headers'], 'content-type');
  });

  it('gives malformed requests a 4xx instead of failing', async () => {
    const garbage = await new Promise<string>((resolve, reject) => {
      const s = netConnect(server.port, '127.0.0.1', () => s.write('THIS IS NOT HTTP\r\n\r\n'));
      let out = '';
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    assert.match(garbage, /^HTTP\/1\.1 400/);
    const badKey = await rawUpgrade(server.urls.ws, { 'Sec-WebSocket-Key': 'short' });
    assert.equal(badKey.status, 400);
    assert.match(String(JSON.parse(badKey.text).reason), /Sec-WebSocket-Key/);
    const badVersion = await rawUpgrade(server.urls.ws, { 'Sec-WebSocket-Version': '7' });
    assert.equal(badVersion.status, 426);
    assert.equal(badVersion.headers['sec-websocket-version'], '13');
    const badProtocols = await rawUpgrade(server.urls.ws, { 'Sec-WebSocket-Protocol': 'a, a' });
    assert.equal(badProtocols.status, 400);
    // The server still serves after all that.
    assert.equal((await get(server.httpUrl + '/')).status, 200);
  });

  it('rejects invalid options and settings with a clear RangeError', async () => {
    await assert.rejects(startDemoServer({ port: -1 }), (e: Error) => e instanceof RangeError && /port/.test(e.message));
    await assert.rejects(startDemoServer({ rate: -2 }), (e: Error) => e instanceof RangeError && /rate/.test(e.message));
    await assert.rejects(startDemoServer({ payloadSize: -1 }), (e: Error) => e instanceof RangeError && /payloadSize/.test(e.message));
    await assert.rejects(startDemoServer({ tokenTtlSeconds: 0 }), RangeError);
    assert.throws(() => server.setRate(Number.NaN), RangeError);
    assert.throws(() => server.setPayloadSize(1.5), RangeError);
  });

  it('reports a port already in use in one sentence', async () => {
    await assert.rejects(startDemoServer({ port: server.port }), /already in use/);
  });

  it('counts requests and distinct connections per route', async () => {
    const before = server.counters();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) await startRequest(server.urls.poll, { agent }).done;
    } finally {
      agent.destroy();
    }
    const c = server.counters();
    assert.equal(c.requests.poll - before.requests.poll, 3);
    // Keep-alive: three polls over one TCP connection.
    assert.equal(c.connections.poll - before.connections.poll, 1);
    assert.ok(c.connections.total > before.connections.total);
  });
});

describe('demo server: ticker', () => {
  it('ticks at the configured rate with the configured payload size, and can be paused', async () => {
    const s = await extraServer({ rate: 50, payloadSize: 200 });
    const ws = track(await WsClient.open(s.urls.ws));
    const a = await ws.next();
    const b = await ws.next();
    for (const m of [a, b]) {
      assert.equal(m.data.length, 200);
      const msg = JSON.parse(m.data.toString()) as Msg;
      assert.equal(msg.kind, 'tick');
      assert.equal(typeof msg.data, 'string');
      assert.ok(Math.abs(msg.ts - Date.now()) < 60_000);
    }
    assert.equal((JSON.parse(b.data.toString()) as Msg).seq, (JSON.parse(a.data.toString()) as Msg).seq + 1);
    s.setPayloadSize(1000);
    const big = await ws.next((m) => m.data.length !== 200, 'a resized tick');
    assert.equal(big.data.length, 1000);
    s.setRate(0);
    const paused = s.seq;
    await sleep(150);
    assert.equal(s.seq, paused, 'no tick while paused');
    assert.ok(s.counters().ticks >= 3);
    assert.equal(s.counters().ticks, s.counters().published);
    s.publish({ x: 1 });
    assert.equal(s.counters().published, s.counters().ticks + 1);
  });
});

describe('demo server: short polling', () => {
  it('answers 204 with ETag "0" before anything is published', async () => {
    const s = await extraServer({ rate: 0 });
    const r = await get(s.urls.poll);
    assert.equal(r.status, 204);
    assert.equal(r.headers.etag, '"0"');
    assert.equal(r.headers['cache-control'], 'no-cache');
  });

  it('returns the latest message with ETag and Last-Modified, and 304 when If-None-Match matches', async () => {
    server.publish({ n: 'first' });
    const r = await get(server.urls.poll);
    assert.equal(r.status, 200);
    const msg = json<Msg>(r);
    assert.equal(msg.seq, server.seq);
    assert.deepEqual(msg.data, { n: 'first' });
    assert.equal(msg.kind, 'send');
    assert.equal(r.headers.etag, `"${server.seq}"`);
    assert.ok(!Number.isNaN(Date.parse(String(r.headers['last-modified']))));
    assert.equal(r.headers['cache-control'], 'no-cache');
    const cached = await get(server.urls.poll, { 'If-None-Match': String(r.headers.etag) });
    assert.equal(cached.status, 304);
    assert.equal(cached.body.length, 0);
    server.publish({ n: 'second' });
    const fresh = await get(server.urls.poll, { 'If-None-Match': String(r.headers.etag) });
    assert.equal(fresh.status, 200);
    assert.deepEqual(json<Msg>(fresh).data, { n: 'second' });
  });

  it('?since=N returns every buffered message after N with a cursor, and 204 when nothing is new', async () => {
    const start = server.seq;
    server.publish('a');
    server.publish('b');
    const r = await get(`${server.urls.poll}?since=${start}`);
    assert.equal(r.status, 200);
    const body = json<{ messages: Msg[]; cursor: number }>(r);
    assert.deepEqual(
      body.messages.map((m) => m.data),
      ['a', 'b'],
    );
    assert.equal(body.cursor, start + 2);
    const none = await get(`${server.urls.poll}?since=${body.cursor}`);
    assert.equal(none.status, 204);
    const bad = await get(`${server.urls.poll}?since=abc`);
    assert.equal(bad.status, 400);
    assert.match(String(json(bad).reason), /since/);
  });
});

describe('demo server: history', () => {
  it('keeps the last 1000 messages for since, cursors and Last-Event-ID, and says how many fell out', async () => {
    const s = await extraServer({ rate: 0 });
    for (let i = 1; i <= 1005; i++) s.publish(i);
    const polled = json<{ messages: Msg[]; cursor: number; missed: number }>(await get(`${s.urls.poll}?since=0`));
    assert.equal(polled.messages.length, 1000);
    assert.equal(polled.messages[0].seq, 6);
    assert.equal(polled.cursor, 1005);
    assert.equal(polled.missed, 5);
    const longPolled = json<{ messages: Msg[]; cursor: number }>(await get(`${s.urls['long-poll']}?cursor=1003`));
    assert.deepEqual(
      longPolled.messages.map((m) => m.data),
      [1004, 1005],
    );
    const sse = track(await SseReader.open(s.urls.sse, { 'Last-Event-ID': '2' }));
    const note = await sse.next((i) => i.type === 'comment' && i.text.includes('no longer buffered'), 'the gap note');
    assert.match((note as { text: string }).text, /^3 message\(s\) after id 2/);
    assert.equal((await sse.nextEvent()).id, '6');
    sse.close();
  });

  it('treats a cursor ahead of the server (an earlier run) as a fresh start', async () => {
    const s = await extraServer({ rate: 0 });
    s.publish('only');
    const r = json<{ messages: Msg[]; cursor: number }>(await get(`${s.urls['long-poll']}?cursor=5000`));
    assert.deepEqual(
      r.messages.map((m) => m.data),
      ['only'],
    );
    assert.equal(r.cursor, 1);
    assert.equal(json<{ cursor: number }>(await get(`${s.urls.poll}?since=5000`)).cursor, 1);
  });
});

describe('demo server: long polling', () => {
  it('answers at once when the cursor is behind, with X-Cursor', async () => {
    const start = server.seq;
    server.publish('lp-now');
    const r = await get(`${server.urls['long-poll']}?cursor=${start}`);
    assert.equal(r.status, 200);
    const body = json<{ cursor: number; messages: Msg[] }>(r);
    assert.equal(body.cursor, start + 1);
    assert.equal(r.headers['x-cursor'], String(start + 1));
    assert.deepEqual(
      body.messages.map((m) => m.data),
      ['lp-now'],
    );
  });

  it('holds the request until a message is published, then releases it', async () => {
    await waitUntil(() => server.counters().active['long-poll'] === 0, 'earlier holds to be released');
    const base = 0;
    const { done } = startRequest(`${server.urls['long-poll']}?cursor=${server.seq}`);
    await waitUntil(() => server.counters().active['long-poll'] === base + 1, 'the request to be held');
    server.publish({ wake: true });
    const r = await withTimeout(done, 'the held long-poll to answer');
    assert.equal(r.status, 200);
    const body = json<{ cursor: number; messages: Msg[] }>(r);
    assert.deepEqual(body.messages[0].data, { wake: true });
    assert.equal(body.cursor, server.seq);
    assert.equal(server.counters().active['long-poll'], base);
  });

  it('without a cursor waits for the next message', async () => {
    const { done } = startRequest(server.urls['long-poll']);
    await waitUntil(() => server.counters().active['long-poll'] >= 1, 'the request to be held');
    server.publish('next');
    const body = json<{ messages: Msg[] }>(await done);
    assert.deepEqual(
      body.messages.map((m) => m.data),
      ['next'],
    );
  });

  it('answers 204 after ?timeout when nothing arrives', async () => {
    const r = await get(`${server.urls['long-poll']}?cursor=${server.seq}&timeout=50`);
    assert.equal(r.status, 204);
    assert.equal(r.headers['x-cursor'], String(server.seq));
  });

  it('answers 204 after longPollTimeoutMs by default', async () => {
    const s = await extraServer({ rate: 0, longPollTimeoutMs: 60 });
    const r = await get(s.urls['long-poll']);
    assert.equal(r.status, 204);
  });

  it('releases the hold when the client aborts (no leaked request)', async () => {
    await waitUntil(() => server.counters().active['long-poll'] === 0, 'earlier holds to be released');
    const base = 0;
    const { req, done } = startRequest(`${server.urls['long-poll']}?cursor=${server.seq}&timeout=60000`);
    done.catch(() => undefined);
    await waitUntil(() => server.counters().active['long-poll'] === base + 1, 'the request to be held');
    req.destroy();
    await waitUntil(() => server.counters().active['long-poll'] === base, 'the held request to be released');
    // Publishing afterwards must not touch the dead response.
    server.publish('after-abort');
    assert.equal((await get(server.urls.poll)).status, 200);
  });

  it('rejects a malformed cursor or timeout with 400', async () => {
    for (const q of ['cursor=-1', 'cursor=x', 'timeout=1.5', 'timeout=99999999']) {
      const r = await get(`${server.urls['long-poll']}?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(json(r).error, 'bad_request');
    }
  });
});

describe('demo server: SSE', () => {
  it('streams events with the right headers and framing', async () => {
    const sse = track(await SseReader.open(server.urls.sse));
    assert.equal(sse.res.statusCode, 200);
    assert.match(String(sse.res.headers['content-type']), /^text\/event-stream/);
    assert.equal(sse.res.headers['cache-control'], 'no-cache');
    assert.equal(sse.res.headers['x-accel-buffering'], 'no');
    assert.deepEqual(await sse.next(() => true), { type: 'comment', text: 'connected' });
    assert.deepEqual(await sse.next(() => true), { type: 'retry', ms: 2000 });
    assert.ok(sse.raw.startsWith('retry: 2000\n: connected\n\n'));
    server.publish({ hello: 'sse' });
    const ev = await sse.nextEvent();
    assert.equal(ev.id, String(server.seq));
    assert.equal(ev.event, 'send');
    const msg = JSON.parse(ev.data) as Msg;
    assert.deepEqual(msg.data, { hello: 'sse' });
    assert.ok(sse.raw.includes(`id: ${server.seq}\nevent: send\ndata: ${ev.data}\n\n`));
    sse.close();
  });

  it('sends heartbeat comments every heartbeatMs', async () => {
    const sse = track(await SseReader.open(server.urls.sse));
    const hb = await sse.next((i) => i.type === 'comment' && i.text.startsWith('heartbeat'), 'a heartbeat');
    assert.match((hb as { text: string }).text, /^heartbeat \d+$/);
    await sse.next((i) => i.type === 'comment' && i.text.startsWith('heartbeat'), 'a second heartbeat');
    sse.close();
  });

  it('replays buffered messages after Last-Event-ID (header and ?lastEventId=)', async () => {
    const start = server.seq;
    server.publish('r1');
    server.publish('r2');
    for (const [url, headers] of [
      [server.urls.sse, { 'Last-Event-ID': String(start) }],
      [`${server.urls.sse}?lastEventId=${start}`, {}],
    ] as const) {
      const sse = track(await SseReader.open(url, headers));
      const a = await sse.nextEvent();
      const b = await sse.nextEvent();
      assert.deepEqual([a.id, b.id], [String(start + 1), String(start + 2)]);
      assert.deepEqual([(JSON.parse(a.data) as Msg).data, (JSON.parse(b.data) as Msg).data], ['r1', 'r2']);
      sse.close();
    }
  });

  it('says so when Last-Event-ID is not an id from this server', async () => {
    const sse = track(await SseReader.open(server.urls.sse, { 'Last-Event-ID': 'banana' }));
    const c = await sse.next((i) => i.type === 'comment' && i.text.includes('Last-Event-ID'), 'the explanation');
    assert.match((c as { text: string }).text, /not an id from this server/);
    sse.close();
  });

  it('forgets a client once it disconnects', async () => {
    // Streams earlier tests closed may still be winding down on the server side.
    await waitUntil(() => server.counters().active.sse === 0, 'earlier streams to be released');
    const base = 0;
    const sse = await SseReader.open(server.urls.sse);
    await waitUntil(() => server.counters().active.sse === base + 1, 'the stream to register');
    sse.close();
    await waitUntil(() => server.counters().active.sse === base, 'the stream to be released');
  });
});

describe('demo server: WebSocket', () => {
  it('sends every published message as a JSON text frame', async () => {
    const ws = track(await WsClient.open(server.urls.ws));
    server.publish({ to: 'ws' });
    const m = await ws.next();
    assert.equal(m.isBinary, false);
    const msg = JSON.parse(m.data.toString()) as Msg;
    assert.equal(msg.seq, server.seq);
    assert.deepEqual(msg.data, { to: 'ws' });
    ws.close();
  });

  it('echoes text wrapped (JSON as JSON) and binary as binary on /ws', async () => {
    const ws = track(await WsClient.open(server.urls.ws));
    ws.ws.send('plain text');
    const a = await ws.nextJson();
    assert.equal(a.kind, 'echo');
    assert.equal(a.data, 'plain text');
    assert.equal(typeof a.ts, 'number');
    ws.ws.send('{"x":[1,2]}');
    assert.deepEqual((await ws.nextJson()).data, { x: [1, 2] });
    const bytes = Buffer.from([0, 1, 2, 255]);
    ws.ws.send(bytes);
    const b = await ws.next((m) => m.isBinary, 'a binary echo');
    assert.deepEqual(b.data, bytes);
    ws.close();
  });

  it('/echo is a pure echo with no ticks', async () => {
    const ws = track(await WsClient.open(server.urls.wsEcho));
    server.publish('not for echo clients');
    ws.ws.send('hello');
    const first = await ws.next();
    assert.equal(first.data.toString(), 'hello');
    assert.equal(first.isBinary, false);
    ws.ws.send(Buffer.from([9, 8, 7]));
    const bin = await ws.next();
    assert.equal(bin.isBinary, true);
    assert.deepEqual(bin.data, Buffer.from([9, 8, 7]));
    ws.close();
  });

  it('answers pings with pongs carrying the same data', async () => {
    const ws = track(await WsClient.open(server.urls.ws));
    const pong = new Promise<Buffer>((resolve) => ws.ws.once('pong', resolve));
    ws.ws.ping(Buffer.from('are you there'));
    assert.equal((await withTimeout(pong, 'a pong')).toString(), 'are you there');
    ws.close();
  });

  it('negotiates permessage-deflate only with ?deflate=1', async () => {
    const off = track(await WsClient.open(server.urls.ws));
    assert.equal(off.ws.extensions, '');
    const on = track(await WsClient.open(`${server.urls.ws}?deflate=1`));
    assert.match(on.ws.extensions, /permessage-deflate/);
    server.publish({ compressed: 'x'.repeat(4000) });
    const m = await on.nextJson();
    assert.deepEqual(m.data, { compressed: 'x'.repeat(4000) });
    off.close();
    on.close();
  });

  it('answers a plain GET on a WebSocket route with 426, and refuses upgrades to HTTP routes with a real HTTP error', async () => {
    const r = await get(server.httpUrl + '/ws');
    assert.equal(r.status, 426);
    assert.equal(r.headers.upgrade, 'websocket');
    const notWs = await wsRejected(`${server.wsUrl}/sse`);
    assert.equal(notWs.status, 400);
    assert.equal(json(notWs).error, 'not_websocket');
    const missing = await wsRejected(`${server.wsUrl}/nowhere`);
    assert.equal(missing.status, 404);
  });
});

describe('demo server: /send and /echo', () => {
  it('/send publishes to all four transports', async () => {
    const cursor = server.seq;
    const sse = track(await SseReader.open(server.urls.sse));
    const ws = track(await WsClient.open(server.urls.ws));
    const held = startRequest(`${server.urls['long-poll']}?cursor=${cursor}`).done;
    await waitUntil(() => server.counters().active['long-poll'] >= 1 && server.counters().active.sse >= 1, 'the subscribers');
    const sent = await post(server.urls.send, '{"fan":"out"}');
    assert.equal(sent.status, 202);
    const { seq } = json<{ seq: number }>(sent);
    assert.equal(seq, cursor + 1);

    const viaWs = await ws.nextJson();
    const viaSse = JSON.parse((await sse.nextEvent()).data) as Msg;
    const viaLong = json<{ messages: Msg[] }>(await held).messages[0];
    const viaPoll = json<Msg>(await get(server.urls.poll));
    for (const m of [viaWs, viaSse, viaLong, viaPoll]) {
      assert.equal(m.seq, seq);
      assert.equal(m.kind, 'send');
      assert.deepEqual(m.data, { fan: 'out' });
    }
    sse.close();
    ws.close();
  });

  it('/send publishes a body that is not JSON as text', async () => {
    const r = await post(server.urls.send, 'just words', { 'Content-Type': 'text/plain' });
    assert.equal(r.status, 202);
    assert.equal(json<Msg>(await get(server.urls.poll)).data, 'just words');
  });

  it('/send refuses a body over 1 MiB with 413', async () => {
    const r = await post(server.urls.send, Buffer.alloc(1024 * 1024 + 1, 97), { 'Content-Type': 'text/plain' });
    assert.equal(r.status, 413);
    assert.equal(json(r).error, 'too_large');
  });

  it('POST /echo returns the body with its content type', async () => {
    const body = Buffer.from([1, 2, 3, 250]);
    const r = await post(`${server.httpUrl}/echo`, body, { 'Content-Type': 'application/x-demo' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/x-demo');
    assert.deepEqual(r.body, body);
  });
});

describe('demo server: /token', () => {
  it('GET and POST issue short-lived bearer tokens', async () => {
    for (const r of [await get(server.urls.token), await post(server.urls.token, '{"client_id":"demo","client_secret":"demo-secret"}'), await post(server.urls.token, '')]) {
      assert.equal(r.status, 200, r.text);
      const t = json<{ access_token: string; token_type: string; expires_in: number }>(r);
      assert.match(t.access_token, /^st-[0-9a-f]{24}$/);
      assert.equal(t.token_type, 'Bearer');
      assert.equal(t.expires_in, 60);
      assert.equal(r.headers['cache-control'], 'no-store');
    }
    const form = await post(server.urls.token, 'client_id=demo&client_secret=demo-secret', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 200);
    const basic = await startRequest(server.urls.token, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from('demo:demo-secret').toString('base64')}` } }).done;
    assert.equal(basic.status, 200);
  });

  it('refuses wrong client credentials with 401 JSON and a malformed body with 400', async () => {
    const wrong = await post(server.urls.token, '{"client_id":"demo","client_secret":"nope"}');
    assert.equal(wrong.status, 401);
    assert.equal(json(wrong).error, 'invalid_client');
    const form = await post(server.urls.token, 'client_id=other&client_secret=demo-secret', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 401);
    for (const body of ['{not json', '[1,2]']) {
      const bad = await post(server.urls.token, body);
      assert.equal(bad.status, 400, body);
      assert.equal(json(bad).error, 'invalid_request');
    }
  });

  it('issued tokens stop working once their TTL has passed', async () => {
    // Long enough that the first use lands inside the TTL even on a loaded machine.
    const s = await extraServer({ rate: 0, tokenTtlSeconds: 1 });
    const t = json<{ access_token: string; expires_in: number }>(await get(s.urls.token));
    assert.equal(t.expires_in, 1);
    const url = s.authUrl('poll', 'bearer');
    const auth = { Authorization: `Bearer ${t.access_token}` };
    assert.equal((await get(url, auth)).status, 204);
    await waitUntil(async () => (await get(url, auth)).status !== 204, 'the token to expire');
    assertUnauthorized(await get(url, auth), /expired/);
  });
});

// ---- auth matrix ------------------------------------------------------------------------------

/** Puts a token where a header/query/cookie method expects it. */
function carry(method: 'query' | 'bearer' | 'cookie' | 'token-url', url: string, token: string): { url: string; headers: Headers } {
  switch (method) {
    case 'query':
      return { url: `${url}?access_token=${token}`, headers: {} };
    case 'cookie':
      return { url, headers: { Cookie: `theme=dark; session=${token}` } };
    case 'bearer':
    case 'token-url':
      return { url, headers: { Authorization: `Bearer ${token}` } };
  }
}

/** One authorized request for an HTTP transport; SSE is cut as soon as the headers arrive. */
async function probeHttp(transport: Exclude<DemoTransport, 'ws'>, url: string, headers: Headers): Promise<Res> {
  if (transport === 'sse') {
    const sse = await SseReader.open(url, headers);
    sse.close();
    return { status: sse.res.statusCode ?? 0, headers: sse.res.headers, body: Buffer.from(sse.raw), text: sse.raw };
  }
  const sep = url.includes('?') ? '&' : '?';
  return get(transport === 'long-poll' ? `${url}${sep}cursor=0&timeout=0` : url, headers);
}

/** SSE refusals are normal responses; read them whole. */
async function probeHttpRejected(transport: Exclude<DemoTransport, 'ws'>, url: string, headers: Headers): Promise<Res> {
  if (transport !== 'sse') return probeHttp(transport, url, headers);
  return get(url, headers);
}

describe('demo server: auth variants', () => {
  let expiring: DemoServer;
  let expiredToken: string;
  let issued: string;

  before(async () => {
    expiring = await extraServer({ rate: 0, tokenTtlSeconds: 0.05 });
    expiredToken = json<{ access_token: string }>(await get(expiring.urls.token)).access_token;
    issued = json<{ access_token: string }>(await get(server.urls.token)).access_token;
    server.publish('something to read');
    await sleep(100); // the 50 ms token is now past its TTL.
  });

  const httpTransports = ['poll', 'long-poll', 'sse'] as const;
  const carriedMethods = ['query', 'bearer', 'cookie', 'token-url'] as const;

  for (const transport of httpTransports) {
    for (const method of carriedMethods) {
      it(`${method} on ${transport}: accepts valid tokens and refuses wrong, missing and expired ones`, async () => {
        const url = server.authUrl(transport, method);
        const good = method === 'token-url' ? [issued] : [server.demoToken, issued];
        for (const token of good) {
          const c = carry(method, url, token);
          const r = await probeHttp(transport, c.url, c.headers);
          assert.ok(r.status === 200 || r.status === 204, `${method} ${transport} with a valid token: ${r.status} ${r.text}`);
        }
        const wrong = carry(method, url, 'not-a-real-token');
        assertUnauthorized(await probeHttpRejected(transport, wrong.url, wrong.headers), /not one this server knows/);
        assertUnauthorized(await probeHttpRejected(transport, url, {}), /Missing token/);
        const exp = carry(method, expiring.authUrl(transport, method), expiredToken);
        assertUnauthorized(await probeHttpRejected(transport, exp.url, exp.headers), /expired/);
        if (method === 'token-url') {
          const demo = carry(method, url, server.demoToken);
          assertUnauthorized(await probeHttpRejected(transport, demo.url, demo.headers), /only short-lived tokens/);
        }
      });
    }
    for (const method of ['subprotocol', 'subprotocol-noecho', 'first-message'] as const) {
      it(`${method} on ${transport}: refused with a clear 400 (WebSocket-only)`, async () => {
        const r = await get(server.authUrl(transport, method), { Authorization: `Bearer ${server.demoToken}` });
        assert.equal(r.status, 400);
        const body = json<{ error: string; reason: string }>(r);
        assert.equal(body.error, 'unsupported_auth');
        assert.match(body.reason, /WebSocket-only/);
      });
    }
  }

  it('token-url also accepts an issued token as query parameter or cookie', async () => {
    const url = server.authUrl('poll', 'token-url');
    assert.equal((await get(`${url}?access_token=${issued}`)).status, 200);
    assert.equal((await get(url, { Cookie: `session=${issued}` })).status, 200);
  });

  it('bearer refuses a non-Bearer Authorization header and says why', async () => {
    assertUnauthorized(await get(server.authUrl('poll', 'bearer'), { Authorization: `Basic ${server.demoToken}` }), /not "Bearer <token>"/);
  });

  for (const method of carriedMethods) {
    it(`${method} on ws: opens with a valid token, refuses others during the upgrade with a real 401`, async () => {
      const url = server.authUrl('ws', method);
      const good = method === 'token-url' ? [issued] : [server.demoToken, issued];
      for (const token of good) {
        const c = carry(method, url, token);
        const ws = track(await WsClient.open(c.url, undefined, { headers: c.headers }));
        server.publish({ authed: method });
        assert.deepEqual((await ws.nextJson()).data, { authed: method });
        ws.close();
      }
      const wrong = carry(method, url, 'not-a-real-token');
      assertUnauthorized(await wsRejected(wrong.url, undefined, { headers: wrong.headers }), /not one this server knows/);
      assertUnauthorized(await wsRejected(url), /Missing token/);
      const exp = carry(method, expiring.authUrl('ws', method), expiredToken);
      assertUnauthorized(await wsRejected(exp.url, undefined, { headers: exp.headers }), /expired/);
    });
  }

  it('subprotocol on ws: echoes "access_token" for a valid token, refuses others with 401', async () => {
    const url = server.authUrl('ws', 'subprotocol');
    for (const token of [server.demoToken, issued]) {
      const ws = track(await WsClient.open(url, ['access_token', token]));
      assert.equal(ws.ws.protocol, 'access_token');
      server.publish('proto');
      assert.equal((await ws.nextJson()).data, 'proto');
      ws.close();
    }
    assertUnauthorized(await wsRejected(url, ['access_token', 'wrong-token']), /not one this server knows/);
    assertUnauthorized(await wsRejected(url, ['access_token']), /No token in Sec-WebSocket-Protocol/);
    assertUnauthorized(await wsRejected(url), /No token in Sec-WebSocket-Protocol/);
    assertUnauthorized(await wsRejected(expiring.authUrl('ws', 'subprotocol'), ['access_token', expiredToken]), /expired/);
  });

  it('subprotocol-noecho on ws: accepts the token but echoes no subprotocol, so strict clients drop it', async () => {
    const url = server.authUrl('ws', 'subprotocol-noecho');
    const raw = await rawUpgrade(url, { 'Sec-WebSocket-Protocol': `access_token, ${server.demoToken}` });
    assert.equal(raw.status, 101);
    assert.equal(raw.headers['sec-websocket-protocol'], undefined);
    // The ws client, like browsers, fails the connection when no offered protocol is echoed.
    await assert.rejects(WsClient.open(url, ['access_token', server.demoToken]), /Server sent no subprotocol/);
    const rawWrong = await rawUpgrade(url, { 'Sec-WebSocket-Protocol': 'access_token, wrong-token' });
    assertUnauthorized(rawWrong, /not one this server knows/);
    assertUnauthorized(await rawUpgrade(url), /No token/);
  });

  it('first-message on ws: auth-ok then ticks for a valid token', async () => {
    for (const token of [server.demoToken, issued]) {
      const ws = track(await WsClient.open(server.authUrl('ws', 'first-message')));
      server.publish('before auth'); // must not reach an unauthenticated socket
      ws.ws.send(JSON.stringify({ type: 'auth', token }));
      assert.deepEqual(await ws.nextJson(), { kind: 'auth-ok' });
      server.publish('after auth');
      assert.equal((await ws.nextJson()).data, 'after auth');
      ws.ws.send('ping?');
      assert.equal((await ws.nextJson()).data, 'ping?');
      ws.close();
    }
  });

  it('first-message on ws: closes with 4401 for a wrong, expired, malformed, binary or late auth message', async () => {
    const impatient = await extraServer({ rate: 0, firstMessageTimeoutMs: 100 });
    const cases: Array<[string, DemoServer, ((ws: WebSocket) => void) | undefined, RegExp]> = [
      ['wrong token', server, (ws) => ws.send('{"type":"auth","token":"wrong-token"}'), /not one this server knows/],
      ['expired token', expiring, (ws) => ws.send(JSON.stringify({ type: 'auth', token: expiredToken })), /expired/],
      ['not JSON', server, (ws) => ws.send('hello'), /must be JSON/],
      ['no token', server, (ws) => ws.send('{"type":"auth"}'), /no "token"/],
      ['binary', server, (ws) => ws.send(Buffer.from('{"type":"auth"}')), /text frame/],
      ['late', impatient, undefined, /No auth message within 100 ms/],
    ];
    for (const [name, s, act, reason] of cases) {
      const ws = track(await WsClient.open(s.authUrl('ws', 'first-message')));
      act?.(ws.ws);
      const err = await ws.nextJson();
      assert.equal(err.kind, 'auth-error', name);
      assert.match(String(err.reason), reason, name);
      const closed = await ws.waitClose();
      assert.deepEqual(closed, { code: 4401, reason: 'unauthorized' }, name);
    }
  });

  it('lists every method × transport URL through authUrl', () => {
    const methods: DemoAuthMethod[] = ['query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url', 'subprotocol-noecho'];
    for (const m of methods) assert.equal(server.authUrl('long-poll', m), `${server.httpUrl}/auth/${m}/long-poll`);
  });
});

describe('demo server: close()', () => {
  it('ends WebSocket (1001), SSE and held long-poll clients promptly and stops listening', async () => {
    const s = await startDemoServer({ rate: 0 });
    const ws = await WsClient.open(s.urls.ws);
    const waiting = await WsClient.open(s.authUrl('ws', 'first-message'));
    const sse = await SseReader.open(s.urls.sse);
    const held = startRequest(`${s.urls['long-poll']}?cursor=0&timeout=60000`).done.then(
      (r) => r.status,
      () => 'aborted',
    );
    await waitUntil(() => s.counters().active['long-poll'] === 1 && s.counters().active.sse === 1, 'the clients to register');
    await withTimeout(s.close(), 'close() to resolve', 3000);
    assert.deepEqual(await ws.waitClose(), { code: 1001, reason: 'server shutting down' });
    assert.equal((await waiting.waitClose()).code, 1001);
    await sse.waitEnd();
    assert.ok([503, 'aborted'].includes(await withTimeout(held, 'the long-poll to end')));
    assert.deepEqual(s.counters().active, { 'long-poll': 0, sse: 0, ws: 0 });
    await assert.rejects(get(s.urls.poll), /ECONNREFUSED/);
    // Closing twice is harmless.
    await s.close();
  });
});
