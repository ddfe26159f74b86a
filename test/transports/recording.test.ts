import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Entry } from 'har-format';
import type { InspectorEvent } from '../../src/shared/events';
import { credentialHeadersOf, secretsOf } from '../../src/shared/exportRedact';
import { toHar, type HarEventSourceMessage, type HarMeta } from '../../src/shared/har';
import { importRecording } from '../../src/shared/importRecording';
import { parseNdjson, toNdjson } from '../../src/shared/recording';
import type { ConnectOptions } from '../../src/shared/options';
import { base64ToBytes, toNdjsonLine } from '../../src/shared/serialize';
import { createSession, type Session } from '../../src/transports/index';
import { untilEvents } from '../helpers/session';

// ---------------------------------------------------------------------------------------
// One real server on 127.0.0.1:0: short-poll and SSE routes, a send endpoint, and a ws echo.

const TOKEN_QUERY = 'qtok-4f9a1c2e8b7d6a5f3e1d';
const TOKEN_BEARER = 'btok-9e8d7c6b5a4f3e2d1c0b';
const TOKEN_FIRST = 'ftok-1a2b3c4d5e6f7a8b9c0d';
const TOKEN_SUBPROTOCOL = 'stok-0f1e2d3c4b5a69788796';
const COOKIE_VALUE = 'cookie-5d4c3b2a1f0e9d8c';
const SET_COOKIE_VALUE = 'setck-7a6b5c4d3e2f1a0b9c8d';
const CUSTOM_HEADER_VALUE = 'team-key-2b4d6f8a0c1e3a5c';
const PAYLOAD_SECRET = 'payload-secret-6e5d4c3b2a19';
const ALL_TOKENS = [TOKEN_QUERY, TOKEN_BEARER, TOKEN_FIRST, TOKEN_SUBPROTOCOL, COOKIE_VALUE, SET_COOKIE_VALUE];

let server: http.Server;
let wss: WebSocketServer;
let origin = '';
let pollCount = 0;
let lpCount = 0;
const sockets = new Set<Socket | Duplex>();
const clients = new Set<WebSocket>();
const sessions: Session[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/poll') {
        // Changing JSON, then the same body again (a "same-body" poll), then new data.
        pollCount++;
        const n = pollCount === 3 ? 2 : pollCount;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ n, text: `tick ${n}` }));
      } else if (path === '/lp') {
        // Held briefly, then a batch of two messages: the long-poll reader splits it.
        lpCount++;
        const n = lpCount;
        setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ messages: [{ seq: 2 * n - 1 }, { seq: 2 * n }] })), 30);
      } else if (path === '/poll-bin') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2, 0xfe, 0xff]));
      } else if (path === '/sse') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.write(': hello\n\n');
        res.write('retry: 700\n');
        res.write('id: 1\nevent: tick\ndata: first\n\n');
        res.write('data: two\ndata: lines\n\n');
        res.end('id: 3\ndata: {"last":true}\n\n');
      } else if (path === '/send') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      } else res.writeHead(404).end('not found');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  wss = new WebSocketServer({
    noServer: true,
    // The subprotocol carrying the token is echoed, as a server doing subprotocol auth does.
    handleProtocols: (protocols) => (protocols.has(TOKEN_SUBPROTOCOL) ? TOKEN_SUBPROTOCOL : false),
  });
  wss.on('headers', (headers) => headers.push(`Set-Cookie: session=${SET_COOKIE_VALUE}; Path=/; HttpOnly`));
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('error', () => {});
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  while (sessions.length) await sessions.pop()!.close().catch(() => {});
});

after(async () => {
  for (const c of clients) c.terminate();
  for (const s of sockets) s.destroy();
  wss.close();
  await new Promise<void>((r) => server.close(() => r()));
});

function open(options: ConnectOptions): Session {
  const s = createSession({ timeoutMs: 5000, ...options });
  sessions.push(s);
  return s;
}


const count = (evs: InspectorEvent[], f: (e: InspectorEvent) => boolean): number => evs.filter(f).length;
const messagesIn = (evs: InspectorEvent[]): number => count(evs, (e) => e.type === 'message' && e.direction === 'in');

function metaOf(s: Session): HarMeta {
  return { transport: s.transport, url: s.options.url, wallStart: s.wallStart, creator: { name: 'Realtime Inspector', version: '0.1.0-test' } };
}

/** Lines as `connect --json` prints them: the comparison form (Buffer vs Uint8Array and undefined fields do not matter there). */
const lines = (evs: Iterable<InspectorEvent>): string[] => [...evs].map(toNdjsonLine);

function harRoundTrip(s: Session): { text: string; entries: Entry[]; imported: ReturnType<typeof importRecording> } {
  const har = toHar(s.log, metaOf(s), { includeSecrets: false });
  const text = JSON.stringify(har, null, 2);
  return { text, entries: har.log.entries, imported: importRecording(text, 'session.har') };
}

// ---------------------------------------------------------------------------------------

describe('HAR round trip of recorded sessions', () => {
  it('WebSocket: text and binary both ways, upgrade entry with Chrome _webSocketMessages, events back exactly', async () => {
    const s = open({ transport: 'ws', url: `ws://${origin}/ws`, perMessageDeflate: false });
    await s.connect();
    await s.send('hello over ws');
    await s.send(new Uint8Array([0, 1, 2, 0xff]), { binary: true });
    await untilEvents(s, (evs) => messagesIn(evs) === 2);
    await s.close(1000, 'done');

    const { entries, imported } = harRoundTrip(s);
    assert.deepEqual(lines(imported.events), lines(s.log), 'every event comes back unchanged');
    assert.equal(imported.meta.origin, 'realtime-inspector');
    assert.equal(imported.meta.transport, 'ws');
    assert.equal(imported.meta.wallStart, s.wallStart);

    assert.equal(entries.length, 1);
    const e = entries[0];
    assert.equal(e._resourceType, 'websocket');
    assert.equal(e.response.status, 101);
    assert.equal(e.request.url, `ws://${origin}/ws`);
    assert.ok(e.request.headers.some((h) => h.name === 'Upgrade' && h.value === 'websocket'));
    const up = [...s.log].find((x) => x.type === 'request')!;
    assert.equal(e.request.headersSize, up.type === 'request' ? up.headerBytes : -1);
    for (const k of ['dns', 'connect', 'ssl'] as const) assert.ok(e.timings[k] === -1 || e.timings[k]! >= 0);
    assert.equal(e.timings.ssl, -1, 'no TLS on ws://');
    assert.equal(e.timings.dns, -1, 'no DNS for an IP literal');
    assert.ok(e.timings.connect! >= 0, 'a fresh TCP connection');
    const msgs = e._webSocketMessages!;
    assert.equal(msgs.length, 4);
    assert.deepEqual(msgs.map((m) => `${m.type}:${m.opcode}`).sort(), ['receive:1', 'receive:2', 'send:1', 'send:2']);
    for (const m of msgs) {
      assert.deepEqual(Object.keys(m).sort(), ['data', 'opcode', 'time', 'type'], 'exactly the fields Chrome writes');
      assert.ok(m.time * 1000 >= s.wallStart && m.time * 1000 <= Date.now(), 'seconds since the epoch');
    }
    assert.equal(msgs.find((m) => m.type === 'send' && m.opcode === 1)!.data, 'hello over ws');
    assert.deepEqual([...base64ToBytes(msgs.find((m) => m.type === 'receive' && m.opcode === 2)!.data)], [0, 1, 2, 0xff]);
  });

  it('SSE: the connect entry carries _eventSourceMessages (event, id, data), comments and retry survive in the stream', async () => {
    const s = open({ transport: 'sse', url: `http://${origin}/sse`, reconnect: { enabled: false } });
    await s.connect();
    await s.closed;

    const { entries, imported } = harRoundTrip(s);
    assert.deepEqual(lines(imported.events), lines(s.log));
    assert.ok(imported.events.some((e) => e.type === 'comment' && e.text === 'hello'));
    assert.ok(imported.events.some((e) => e.type === 'retry' && e.raw === '700'));

    assert.equal(entries.length, 1);
    const e = entries[0];
    assert.equal(e._resourceType, 'eventsource');
    assert.equal(e.response.status, 200);
    assert.match(e.response.content.mimeType, /^text\/event-stream/);
    const sse = e._eventSourceMessages as HarEventSourceMessage[];
    assert.deepEqual(
      sse.map((m) => [m.eventName, m.eventId, m.data]),
      [
        ['tick', '1', 'first'],
        ['message', '', 'two\nlines'],
        ['message', '3', '{"last":true}'],
      ],
    );
    for (const m of sse) assert.ok(m.time * 1000 >= s.wallStart && m.time * 1000 <= Date.now());
  });

  it('short polling: one entry per poll with timings, sizes and the body; a repeated body is still shown; binary bodies as base64', async () => {
    pollCount = 0;
    const s = open({ transport: 'poll', url: `http://${origin}/poll`, intervalMs: 20, sendUrl: `http://${origin}/send` });
    await s.connect();
    await untilEvents(s, (evs) => count(evs, (e) => e.type === 'poll') >= 4);
    await s.send('{"hello":"server"}');
    await s.close();

    const { entries, imported } = harRoundTrip(s);
    assert.deepEqual(lines(imported.events), lines(s.log));

    const polls = entries.filter((e) => e.request.url.endsWith('/poll'));
    assert.ok(polls.length >= 4);
    assert.ok(polls.every((e) => e._resourceType === 'fetch' && e.request.method === 'GET'));
    assert.deepEqual(polls.slice(0, 4).map((e) => e.response.content.text && JSON.parse(e.response.content.text).n), [1, 2, 2, 4], 'the same-body poll shows the repeated body');
    for (const e of polls) {
      assert.equal(e.response.content.mimeType, 'application/json');
      assert.ok(e.response.headersSize > 0 && e.request.headersSize > 0);
      assert.ok(e.response.bodySize >= e.response.content.size, 'wire body bytes (chunk framing included) ≥ content');
      const sum = ['blocked', 'dns', 'connect', 'send', 'wait', 'receive'].reduce((n, k) => n + Math.max(0, (e.timings as unknown as Record<string, number>)[k]), 0);
      assert.ok(Math.abs(sum - e.time) < 0.01, 'time is the sum of the timings');
      assert.ok(new Date(e.startedDateTime).getTime() >= Math.floor(s.wallStart));
    }
    assert.ok(polls.slice(1).some((e) => e.timings.connect === -1), 'keep-alive: later polls reuse the socket (no connect)');
    const send = entries.find((e) => e.request.method === 'POST')!;
    assert.equal(send.request.postData?.text, '{"hello":"server"}');
    assert.equal(send.request.postData?.mimeType, 'application/json');
    assert.equal(send.request.bodySize, 18);

    const b = open({ transport: 'poll', url: `http://${origin}/poll-bin`, intervalMs: 20 });
    await b.connect();
    await b.close();
    const bin = toHar(b.log, metaOf(b), { includeSecrets: false }).log.entries[0];
    assert.equal(bin.response.content.encoding, 'base64');
    assert.deepEqual([...base64ToBytes(bin.response.content.text!)], [0, 1, 2, 0xfe, 0xff]);
    assert.equal(bin.response.content.size, 5);
  });

  it('long polling: a batch answer lists its messages in _pollMessages', async () => {
    lpCount = 0;
    const s = open({ transport: 'long-poll', url: `http://${origin}/lp`, holdTimeoutMs: 5000 });
    await s.connect();
    await untilEvents(s, (evs) => messagesIn(evs) >= 4);
    await s.close();
    const { entries, imported } = harRoundTrip(s);
    assert.deepEqual(lines(imported.events), lines(s.log));
    const first = entries.find((e) => e.request.url.endsWith('/lp') && e.response.status === 200)!;
    assert.deepEqual((first._pollMessages as Array<{ data: string }>).map((m) => m.data), ['{"seq":1}', '{"seq":2}']);
    assert.match(first.response.content.comment ?? '', /2 messages: see _pollMessages/);
    assert.ok(first.timings.wait >= 25, `the server held the request (wait ${first.timings.wait} ms)`);
  });

  it('NDJSON export is exactly the connect --json lines, and parses back to the same events', async () => {
    const s = open({ transport: 'ws', url: `ws://${origin}/ws`, perMessageDeflate: false });
    await s.connect();
    await s.send('ndjson');
    await s.send(new Uint8Array([9, 8, 7]));
    await untilEvents(s, (evs) => messagesIn(evs) === 2);
    await s.close();
    const text = toNdjson(s.log, { includeSecrets: false });
    assert.equal(text, lines(s.log).join('\n') + '\n');
    const back = parseNdjson(text);
    assert.deepEqual(back.errors, []);
    assert.deepEqual(lines(back.events), lines(s.log));
    const imported = importRecording(text, 'session.ndjson');
    assert.equal(imported.meta.format, 'ndjson');
    assert.deepEqual(lines(imported.events), lines(s.log));
    assert.deepEqual(imported.warnings, []);
  });
});

describe('redaction on export', () => {
  /** A WebSocket session run with showSecrets, carrying a credential in every place one can go. */
  async function leakySession(showSecrets: boolean): Promise<Session> {
    const s = open({
      transport: 'ws',
      url: `ws://${origin}/ws?access_token=${TOKEN_QUERY}&room=7`,
      perMessageDeflate: false,
      showSecrets,
      headers: [
        ['Authorization', `Bearer ${TOKEN_BEARER}`],
        ['Cookie', `sid=${COOKIE_VALUE}`],
      ],
      auth: { method: 'first-message', token: TOKEN_FIRST },
    });
    await s.connect();
    await s.send(`{"echo":"${TOKEN_BEARER}"}`);
    await s.send(new TextEncoder().encode(`binary ${TOKEN_QUERY} inside`), { binary: true });
    await untilEvents(s, (evs) => messagesIn(evs) === 3);
    await s.close();
    return s;
  }

  async function subprotocolSession(): Promise<Session> {
    const s = open({ transport: 'ws', url: `ws://${origin}/ws`, perMessageDeflate: false, showSecrets: true, auth: { method: 'subprotocol', token: TOKEN_SUBPROTOCOL } });
    await s.connect();
    await s.close();
    return s;
  }

  function assertNoToken(text: string, tokens: string[], what: string): void {
    for (const t of tokens) {
      assert.ok(!text.includes(t), `${what} contains ${t}`);
      assert.ok(!text.includes(encodeURIComponent(t)), `${what} contains ${t} URL-encoded`);
    }
  }

  function decodedPayloads(evs: InspectorEvent[]): string {
    return evs.map((e) => (e.type === 'message' || e.type === 'ping' || e.type === 'pong' ? (typeof e.data === 'string' ? e.data : Buffer.from(e.data).toString('latin1')) : '')).join('\n');
  }

  it('a showSecrets session is redacted by default (query, bearer, cookie, Set-Cookie, first message, payloads, binary) and kept only with includeSecrets', async () => {
    const s = await leakySession(true);
    const plain = lines(s.log).join('\n');
    for (const t of ALL_TOKENS.filter((x) => x !== TOKEN_SUBPROTOCOL)) assert.ok(plain.includes(t), `the showSecrets log itself holds ${t} (the test would prove nothing otherwise)`);

    const har = JSON.stringify(toHar(s.log, metaOf(s), { includeSecrets: false }));
    assertNoToken(har, ALL_TOKENS, 'the HAR');
    const nd = toNdjson(s.log, { includeSecrets: false });
    assertNoToken(nd, ALL_TOKENS, 'the NDJSON');
    const back = importRecording(har, 'x.har').events;
    assertNoToken(decodedPayloads(back), ALL_TOKENS, 'decoded payloads');
    assertNoToken(decodedPayloads(parseNdjson(nd).events), ALL_TOKENS, 'decoded NDJSON payloads');
    const redactedMsg = back.find((e) => e.type === 'message' && e.direction === 'out' && typeof e.data === 'string' && e.data.startsWith('{"echo"'));
    assert.ok(redactedMsg && redactedMsg.type === 'message' && redactedMsg.redacted === true, 'a masked payload is marked redacted');
    assert.match(har, /«redacted/);

    const kept = JSON.stringify(toHar(s.log, metaOf(s), { includeSecrets: true }));
    for (const t of ALL_TOKENS.filter((x) => x !== TOKEN_SUBPROTOCOL)) assert.ok(kept.includes(t), `includeSecrets keeps ${t}`);
    assert.deepEqual(lines(importRecording(kept).events), lines(s.log), 'with secrets: lossless');
    assert.equal(toNdjson(s.log, { includeSecrets: true }), lines(s.log).join('\n') + '\n');
  });

  it('the subprotocol token is masked in Sec-WebSocket-Protocol (request and echoed answer)', async () => {
    const s = await subprotocolSession();
    const plain = lines(s.log).join('\n');
    assert.ok(plain.includes(TOKEN_SUBPROTOCOL));
    const har = toHar(s.log, metaOf(s), { includeSecrets: false });
    assertNoToken(JSON.stringify(har), [TOKEN_SUBPROTOCOL], 'the HAR');
    const e = har.log.entries[0];
    assert.ok(e.request.headers.some((h) => h.name.toLowerCase() === 'sec-websocket-protocol' && h.value.includes('«redacted')));
    assert.ok(e.response.headers.some((h) => h.name.toLowerCase() === 'sec-websocket-protocol' && h.value.includes('«redacted')));
  });

  it('a session redacted at record time exports unchanged (masking is not applied twice) and round-trips exactly', async () => {
    const s = await leakySession(false);
    const plain = lines(s.log).join('\n');
    assertNoToken(plain, ALL_TOKENS.filter((t) => t !== SET_COOKIE_VALUE && t !== COOKIE_VALUE), 'the redacted log');
    const { text, imported } = harRoundTrip(s);
    assertNoToken(text, ALL_TOKENS, 'the HAR');
    assert.deepEqual(lines(imported.events), lines(s.log));
    assert.equal(toNdjson(s.log, { includeSecrets: false }), plain + '\n');
  });

  it('secrets and credential headers the caller names are masked too (secretsOf / credentialHeadersOf)', async () => {
    const options: ConnectOptions = {
      transport: 'ws',
      url: `ws://${origin}/ws`,
      perMessageDeflate: false,
      showSecrets: true,
      headers: [['X-Team-Key', CUSTOM_HEADER_VALUE]],
      redactValues: [PAYLOAD_SECRET],
    };
    const s = open(options);
    await s.connect();
    await s.send(`note: ${PAYLOAD_SECRET}`);
    await untilEvents(s, (evs) => messagesIn(evs) === 1);
    await s.close();
    const unnamed = JSON.stringify(toHar(s.log, metaOf(s), { includeSecrets: false }));
    assert.ok(unnamed.includes(PAYLOAD_SECRET) && unnamed.includes(CUSTOM_HEADER_VALUE), 'unknown to the export unless named');
    const named = JSON.stringify(toHar(s.log, metaOf(s), { includeSecrets: false, secrets: secretsOf(options), credentialHeaders: ['X-Team-Key'] }));
    assertNoToken(named, [PAYLOAD_SECRET, CUSTOM_HEADER_VALUE], 'the HAR');
    assert.deepEqual(credentialHeadersOf({ auth: { method: 'header', name: 'X-Team-Key', value: 'v' } }), ['X-Team-Key']);
  });
});
