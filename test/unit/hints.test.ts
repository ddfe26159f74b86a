import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventInit, HeaderList, InspectorEvent, TransportKind } from '../../src/shared/events';
import { computeHints, HINT_RULES, HINT_THRESHOLDS, type HintInput } from '../../src/shared/hintRules';
import type { Hint } from '../../src/shared/hints';
import type { ConnectOptions } from '../../src/shared/options';
import { statsFromEvents } from '../../src/shared/stats';

/** Builds an event stream by hand: each event at a chosen session time. */
class Rec {
  readonly events: InspectorEvent[] = [];
  private seq = 0;
  private reqId = 0;
  readonly wallStart = 1_700_000_000_000;

  constructor(readonly transport: TransportKind) {
    this.at(0, { type: 'session', transport, url: 'x', wallStart: this.wallStart, options: {} });
    this.at(0, { type: 'state', state: 'connecting', previous: 'closed' });
  }

  at(t: number, init: EventInit): this {
    this.events.push({ ...init, seq: this.seq++, t } as InspectorEvent);
    return this;
  }

  open(t: number): this {
    return this.at(t, { type: 'state', state: 'open', previous: 'connecting' });
  }

  /** One HTTP exchange: request, response; returns its request id. */
  exchange(t: number, o: { purpose: 'poll' | 'long-poll' | 'sse' | 'upgrade' | 'send' | 'token'; status?: number; reqBytes?: number; resBytes?: number; headers?: HeaderList; httpVersion?: string; respondAt?: number }): number {
    const requestId = ++this.reqId;
    this.at(t, { type: 'request', requestId, purpose: o.purpose, method: 'GET', url: 'x', headers: [], headerBytes: o.reqBytes ?? 200, bodyBytes: 0 });
    this.at(o.respondAt ?? t + 1, { type: 'response', requestId, status: o.status ?? 200, statusText: 'OK', httpVersion: o.httpVersion ?? '1.1', headers: o.headers ?? [], headerBytes: o.resBytes ?? 150 });
    return requestId;
  }

  msg(t: number, data: string, extra: Partial<Extract<EventInit, { type: 'message' }>> = {}): this {
    return this.at(t, { type: 'message', direction: 'in', size: Buffer.byteLength(data), binary: false, data, ...extra });
  }

  out(t: number, data: string): this {
    return this.at(t, { type: 'message', direction: 'out', size: Buffer.byteLength(data), binary: false, data });
  }

  poll(t: number, requestId: number, outcome: 'data' | 'unchanged' | 'error' | 'timeout', extra: { heldMs?: number; gapMs?: number; reason?: string } = {}): this {
    return this.at(t, { type: 'poll', requestId, outcome, reason: extra.reason ?? outcome, heldMs: extra.heldMs, gapMs: extra.gapMs });
  }

  input(options: Partial<ConnectOptions> = {}, more: Partial<HintInput> = {}): HintInput {
    return {
      stats: statsFromEvents(this.events),
      options: { url: 'http://api.example.com/x', transport: this.transport, ...options },
      events: this.events,
      ...more,
    };
  }
}

function hint(input: HintInput, id: string): Hint | undefined {
  return computeHints(input).find((h) => h.id === id);
}

function fires(input: HintInput, id: string): Hint {
  const h = hint(input, id);
  assert.ok(h, `expected hint ${id}; got ${computeHints(input).map((x) => x.id).join(', ') || 'none'}`);
  // Every hint explains itself and quotes numbers.
  assert.ok(h.message.length > 20 && h.why.length > 20 && h.suggestion.length > 20);
  assert.ok(Object.keys(h.numbers).length > 0);
  return h;
}

function silent(input: HintInput, id: string): void {
  const h = hint(input, id);
  assert.equal(h, undefined, `hint ${id} should not fire: ${h?.message}`);
}

const tick = (seq: number, ts = 1_700_000_000_000 + seq * 100) => JSON.stringify({ seq, ts, kind: 'tick', data: 'x' });

// ---------------------------------------------------------------------------------------

describe('short polling hints', () => {
  /** `pattern[i]` true = poll i returned data; data payload seq advances by `step`. */
  function polls(pattern: boolean[], step = 1, intervalMs = 1000): Rec {
    const r = new Rec('poll');
    let seq = 0;
    pattern.forEach((data, i) => {
      const t = i * intervalMs;
      const id = r.exchange(t, { purpose: 'poll', status: data ? 200 : 304 });
      if (i === 0) r.open(t + 1);
      if (data) r.msg(t + 2, tick((seq += step)));
      r.poll(t + 2, id, data ? 'data' : 'unchanged');
    });
    return r;
  }

  it('poll.mostly-empty fires when most polls return nothing, quoting share and counts', () => {
    const pattern = Array.from({ length: 20 }, (_, i) => i % 10 < 3); // 6 of 20 with data
    const h = fires(polls(pattern).input(), 'poll.mostly-empty');
    assert.match(h.message, /^70% of polls returned nothing new \(14 of 20\)/);
    assert.equal(h.numbers.emptyPolls, 14);
  });

  it('poll.mostly-empty stays quiet when most polls carry data, and with too few polls', () => {
    silent(polls(Array.from({ length: 20 }, (_, i) => i % 4 !== 0)).input(), 'poll.mostly-empty');
    silent(polls([false, false, false, false, true]).input(), 'poll.mostly-empty');
  });

  it('poll.skipped-updates fires when seq jumps between polls', () => {
    const h = fires(polls(Array(10).fill(true), 3).input({ intervalMs: 1000 }), 'poll.skipped-updates');
    assert.match(h.message, /9 of 9 answers .*18 updates never seen\): polling every 1 s does not give real time/);
    assert.equal(h.numbers.skippedUpdates, 18);
  });

  it('poll.skipped-updates stays quiet when every update was seen', () => {
    silent(polls(Array(10).fill(true), 1).input(), 'poll.skipped-updates');
  });

  it('poll.skipped-updates estimates from timestamps when there is no seq', () => {
    const fresh = new Rec('poll');
    const stale = new Rec('poll');
    for (let i = 0; i < 10; i++) {
      const t = i * 1000;
      for (const [r, age] of [
        [fresh, 20],
        [stale, 600],
      ] as const) {
        const id = r.exchange(t, { purpose: 'poll' });
        r.msg(t + 2, JSON.stringify({ value: i, ts: r.wallStart + t + 2 - age }));
        r.poll(t + 2, id, 'data');
      }
    }
    const h = fires(fresh.input({ intervalMs: 1000 }), 'poll.skipped-updates');
    assert.match(h.message, /only 20 ms old on arrival/);
    assert.equal(h.numbers.estimatedChangesPerPoll, 25);
    silent(stale.input({ intervalMs: 1000 }), 'poll.skipped-updates');
  });

  it('poll.rare-or-irregular fires for random gaps between updates and stays quiet for regular ones', () => {
    // Data at polls 0, 1, 7, 8, 20, 22, 40: gaps 1,6,1,12,2,18 intervals.
    const at = new Set([0, 1, 7, 8, 20, 22, 40]);
    const irregular = polls(Array.from({ length: 41 }, (_, i) => at.has(i)));
    const h = fires(irregular.input(), 'poll.rare-or-irregular');
    assert.match(h.message, /6\.7 s apart on average \(variation 0\.9\d?, 6 gaps\)/);
    const regular = polls(Array.from({ length: 41 }, (_, i) => i % 2 === 0));
    silent(regular.input(), 'poll.rare-or-irregular');
  });

  it('poll.rare-or-irregular fires when nothing arrived over many intervals', () => {
    const h = fires(polls(Array(40).fill(false)).input(), 'poll.rare-or-irregular');
    assert.match(h.message, /^Only 0 updates in 40 polls over 39 s: at an interval of 1 s/);
  });

  it('poll.different-backends fires on changing server-identifying headers or affinity cookies', () => {
    const r = new Rec('poll');
    r.exchange(0, { purpose: 'poll', headers: [['X-Backend', 'app-1']] });
    r.exchange(1000, { purpose: 'poll', headers: [['X-Backend', 'app-2']] });
    const h = fires(r.input(), 'poll.different-backends');
    assert.match(h.message, /2 different backends \(x-backend: app-1, app-2\)/);

    const c = new Rec('long-poll');
    c.exchange(0, { purpose: 'long-poll', headers: [['Set-Cookie', 'AWSALB=«redacted …aaaa»; Path=/']] });
    c.exchange(1000, { purpose: 'long-poll', headers: [['Set-Cookie', 'AWSALB=«redacted …bbbb»; Path=/']] });
    assert.match(fires(c.input(), 'long-poll.different-backends').message, /set-cookie AWSALB/);
  });

  it('poll.different-backends stays quiet for one backend and for non-affinity cookies', () => {
    const r = new Rec('poll');
    r.exchange(0, { purpose: 'poll', headers: [['X-Backend', 'app-1'], ['Set-Cookie', 'sid=1']] });
    r.exchange(1000, { purpose: 'poll', headers: [['X-Backend', 'app-1'], ['Set-Cookie', 'sid=2']] });
    silent(r.input(), 'poll.different-backends');
    // Per-request ids change every time by design.
    const ids = new Rec('poll');
    ids.exchange(0, { purpose: 'poll', headers: [['Fly-Request-Id', '01HXA-fra']] });
    ids.exchange(1000, { purpose: 'poll', headers: [['Fly-Request-Id', '01HXB-fra']] });
    silent(ids.input(), 'poll.different-backends');
  });
});

describe('long polling hints', () => {
  function longPolls(n: number, o: { every: number; payload: number; reqBytes: number; resBytes: number }): Rec {
    const r = new Rec('long-poll');
    for (let i = 0; i < n; i++) {
      const t = i * o.every;
      const id = r.exchange(t, { purpose: 'long-poll', reqBytes: o.reqBytes, resBytes: o.resBytes, respondAt: t + o.every - 1 });
      if (i === 0) r.open(t + 1);
      r.msg(t + o.every - 1, JSON.stringify({ seq: i + 1, data: 'x'.repeat(Math.max(0, o.payload - 22)) }));
      r.poll(t + o.every - 1, id, 'data', { heldMs: o.every - 2, gapMs: 1 });
    }
    return r;
  }

  it('long-poll.frequent-messages fires when messages are frequent and headers dominate', () => {
    const h = fires(longPolls(50, { every: 200, payload: 60, reqBytes: 300, resBytes: 200 }).input(), 'long-poll.frequent-messages');
    assert.match(h.message, /^5(\.0)? messages\/s over long polling cost 500 bytes of HTTP headers each \(90% of the wire bytes; payload 58 bytes, 50 requests\): SSE would add about 15 bytes per message, WebSocket 2/);
    assert.equal(h.severity, 'warning');
    assert.equal(h.numbers.wsOverheadBytes, 2);
  });

  it('long-poll.frequent-messages stays quiet for big payloads or rare messages', () => {
    silent(longPolls(50, { every: 200, payload: 5000, reqBytes: 300, resBytes: 200 }).input(), 'long-poll.frequent-messages');
    silent(longPolls(20, { every: 5000, payload: 60, reqBytes: 300, resBytes: 200 }).input(), 'long-poll.frequent-messages');
  });

  function gaps(values: number[], seqs?: number[]): Rec {
    const r = new Rec('long-poll');
    values.forEach((g, i) => {
      const t = i * 1000;
      const id = r.exchange(t, { purpose: 'long-poll' });
      r.msg(t + 500, JSON.stringify({ seq: seqs ? seqs[i] : i + 1 }));
      r.poll(t + 500, id, 'data', { heldMs: 499, gapMs: g });
    });
    return r;
  }

  it('long-poll.reconnect-gap warns on long gaps without a cursor, quoting p50/p95', () => {
    const h = fires(gaps([2, 3, 250, 300, 2, 4]).input(), 'long-poll.reconnect-gap');
    assert.equal(h.severity, 'warning');
    assert.match(h.message, /not listening for 3 ms \(p50\) \/ 300 ms \(p95\) between long polls \(6 re-requests\), with no cursor/);
  });

  it('long-poll.reconnect-gap is info with a cursor and no loss, risk when seq shows loss', () => {
    const withCursor = fires(gaps([2, 3, 250, 300]).input({ cursor: { from: 'json', path: 'cursor', param: 'cursor' } }), 'long-poll.reconnect-gap');
    assert.equal(withCursor.severity, 'info');
    const lost = fires(gaps([2, 3, 4, 5], [1, 2, 5, 9]).input(), 'long-poll.reconnect-gap');
    assert.equal(lost.severity, 'risk');
    assert.match(lost.message, /5 updates were lost/);
  });

  it('long-poll.reconnect-gap stays quiet for short gaps without loss', () => {
    silent(gaps([1, 2, 1, 3, 2]).input(), 'long-poll.reconnect-gap');
  });

  it('long-poll.held-past-proxy-timeout fires past 30 s and not below', () => {
    const long = new Rec('long-poll');
    const id = long.exchange(0, { purpose: 'long-poll', respondAt: 45_000 });
    long.poll(45_000, id, 'unchanged', { heldMs: 45_000 });
    const h = fires(long.input(), 'long-poll.held-past-proxy-timeout');
    assert.match(h.message, /^1 of 1 long polls were held longer than 30 s \(up to 45 s\)/);
    const short = new Rec('long-poll');
    const id2 = short.exchange(0, { purpose: 'long-poll', respondAt: 20_000 });
    short.poll(20_000, id2, 'unchanged', { heldMs: 20_000 });
    silent(short.input(), 'long-poll.held-past-proxy-timeout');
    // The threshold is an override away (a proxy with a shorter timeout).
    fires(short.input({}, { thresholds: { proxyIdleSafeMs: 10_000 } }), 'long-poll.held-past-proxy-timeout');
  });

  it('long-poll.cut-off-early fires for polls reset or 504ed after being held, not for quick refusals', () => {
    const r = new Rec('long-poll');
    const a = r.exchange(0, { purpose: 'long-poll', status: 504, respondAt: 60_000 });
    r.poll(60_000, a, 'error', { heldMs: 60_000, reason: 'http-504' });
    r.at(60_001, { type: 'request', requestId: 99, purpose: 'long-poll', method: 'GET', url: 'x', headers: [], headerBytes: 100, bodyBytes: 0 });
    r.poll(120_001, 99, 'error', { reason: 'network' });
    const h = fires(r.input(), 'long-poll.cut-off-early');
    assert.match(h.message, /^2 long polls were cut off after being held 60 s \(http-504, network\)/);

    const quick = new Rec('long-poll');
    const b = quick.exchange(0, { purpose: 'long-poll', status: 500, respondAt: 5 });
    quick.poll(5, b, 'error', { heldMs: 4, reason: 'http-500' });
    silent(quick.input(), 'long-poll.cut-off-early');
  });
});

describe('SSE hints', () => {
  function stream(o: { httpVersion?: string; headers?: HeaderList; ids?: boolean; times?: number[]; serverTs?: (i: number, t: number) => number } = {}): Rec {
    const r = new Rec('sse');
    r.exchange(0, { purpose: 'sse', httpVersion: o.httpVersion, headers: o.headers ?? [['Content-Type', 'text/event-stream'], ['Access-Control-Allow-Origin', '*']] });
    r.open(1);
    (o.times ?? [100, 200, 300, 400, 500]).forEach((t, i) => {
      const ts = o.serverTs ? o.serverTs(i, t) : r.wallStart + t;
      r.msg(t, JSON.stringify({ n: i, ts }), { sse: { event: 'message', id: o.ids === false ? undefined : String(i + 1) } });
    });
    return r;
  }

  it('sse.http1-connection-limit fires on HTTP/1.1 and not on HTTP/2', () => {
    assert.match(fires(stream().input(), 'sse.http1-connection-limit').message, /HTTP\/1\.1: browsers allow about 6/);
    silent(stream({ httpVersion: '2.0' }).input(), 'sse.http1-connection-limit');
  });

  it('sse.no-event-ids fires when events lack ids and not when they carry them', () => {
    assert.match(fires(stream({ ids: false }).input(), 'sse.no-event-ids').message, /^5 of 5 events had no id: field/);
    silent(stream().input(), 'sse.no-event-ids');
  });

  it('sse.buffered-bursts fires for bursts after silence whose server times are spread', () => {
    // Server sends every 100 ms; a proxy releases 10 at a time every ~1 s.
    const times: number[] = [];
    for (let b = 1; b <= 4; b++) for (let i = 0; i < 10; i++) times.push(b * 1200 + i);
    const r = stream({ times, serverTs: (i) => 1_700_000_000_000 + 200 + i * 100 });
    const h = fires(r.input(), 'sse.buffered-bursts');
    assert.match(h.message, /^30 of 40 events arrived in 3 bursts after 1\.2 s of silence \(median\); the server stamped them 900 ms apart/);
    assert.match(h.suggestion, /X-Accel-Buffering: no/);
  });

  it('sse.buffered-bursts stays quiet for a steady stream and for batches the server sent at once', () => {
    silent(stream({ times: Array.from({ length: 40 }, (_, i) => 100 + i * 100) }).input(), 'sse.buffered-bursts');
    const times: number[] = [];
    for (let b = 1; b <= 4; b++) for (let i = 0; i < 10; i++) times.push(b * 1200 + i);
    // Same server timestamp within each burst: the server batched, nothing held them back.
    silent(stream({ times, serverTs: (_i, t) => 1_700_000_000_000 + Math.floor(t / 1200) * 1200 }).input(), 'sse.buffered-bursts');
  });

  it('sse.cors-missing fires without Access-Control-Allow-Origin and for a foreign origin', () => {
    const none = fires(stream({ headers: [['Content-Type', 'text/event-stream']] }).input(), 'sse.cors-missing');
    assert.equal(none.severity, 'info');
    assert.match(none.message, /no Access-Control-Allow-Origin header: a browser page served from any origin other than http:\/\/api\.example\.com/);
    const foreign = fires(stream({ headers: [['Access-Control-Allow-Origin', 'https://a.example']] }).input({ headers: [['Origin', 'https://b.example']] }), 'sse.cors-missing');
    assert.equal(foreign.severity, 'warning');
    assert.match(foreign.message, /Opened as origin https:\/\/b\.example, but Access-Control-Allow-Origin is "https:\/\/a\.example"/);
    fires(stream().input({ auth: { method: 'cookie', name: 's', value: 'v' } }), 'sse.cors-missing');
  });

  it('sse.cors-missing stays quiet when the origin is allowed', () => {
    silent(stream().input(), 'sse.cors-missing');
    silent(stream({ headers: [['Access-Control-Allow-Origin', 'https://b.example']] }).input({ headers: [['Origin', 'https://b.example']] }), 'sse.cors-missing');
  });

  it('sse.header-auth fires for bearer and custom headers, not for query or cookie', () => {
    assert.match(fires(stream().input({ auth: { method: 'bearer', token: 't0000' } }), 'sse.header-auth').message, /opened with an Authorization: Bearer header: the browser EventSource API cannot send request headers/);
    fires(stream().input({ headers: [['X-Api-Key', 'k']] }), 'sse.header-auth');
    silent(stream().input({ auth: { method: 'cookie', name: 's', value: 'v' } }), 'sse.header-auth');
    silent(stream().input({ auth: { method: 'query', param: 'access_token', token: 't0000' } }), 'sse.header-auth');
  });

  it('sse.separate-send-requests fires for frequent client sends over HTTP, not for occasional ones', () => {
    const r = stream();
    for (let i = 0; i < 10; i++) {
      r.exchange(600 + i * 500, { purpose: 'send', reqBytes: 250, resBytes: 140 });
      r.out(602 + i * 500, '{"a":1}');
    }
    const h = fires(r.input(), 'sse.separate-send-requests');
    assert.match(h.message, /sent 10 messages as separate HTTP requests \(\d\.\d+\/s, 390 bytes of HTTP headers each\).*6 bytes of framing/);
    const few = stream();
    few.exchange(600, { purpose: 'send' });
    silent(few.input(), 'sse.separate-send-requests');
  });
});

describe('token in the query string', () => {
  it('fires for a query token (any transport) and mentions what TLS does and does not hide', () => {
    const ws = new Rec('ws');
    ws.at(0, { type: 'auth', method: 'query', carrier: 'query parameter', value: '«redacted»' });
    const plain = fires(ws.input({ url: 'ws://h.example/ws', auth: { method: 'query', param: 'access_token', token: 'abcd' } }), 'ws.token-in-query');
    assert.equal(plain.severity, 'risk');
    assert.match(plain.message, /"access_token".*without TLS also in clear text/);
    const tls = fires(ws.input({ url: 'wss://h.example/ws', auth: { method: 'query', param: 'access_token', token: 'abcd' } }), 'ws.token-in-query');
    assert.match(tls.message, /TLS keeps it off the wire, but not out of the logs/);
    // A token pasted into the URL counts too.
    fires(new Rec('sse').input({ url: 'https://h.example/s?token=abc' }), 'sse.token-in-query');
  });

  it('stays quiet without one', () => {
    silent(new Rec('ws').input({ url: 'wss://h.example/ws?room=1', auth: { method: 'bearer', token: 'abcd' } }), 'ws.token-in-query');
  });
});

describe('WebSocket hints', () => {
  function ws(o: { in?: number; out?: number; duration?: number; authMessage?: boolean } = {}): Rec {
    const r = new Rec('ws');
    r.exchange(0, { purpose: 'upgrade', status: 101 });
    r.open(2);
    if (o.authMessage) r.out(2.5, '{"type":"auth"}');
    const n = o.in ?? 30;
    const d = o.duration ?? 15_000;
    for (let i = 0; i < n; i++) r.msg(3 + (i * (d - 3)) / n, tick(i + 1));
    for (let i = 0; i < (o.out ?? 0); i++) r.out(500 + i, 'hi');
    r.at(d, { type: 'info', message: 'end' });
    return r;
  }

  it('ws.one-way-only fires for server-to-client traffic only', () => {
    assert.match(fires(ws().input({ url: 'wss://h/ws' }), 'ws.one-way-only').message, /30 messages in, 0 out over 15 s/);
    const auth = ws({ authMessage: true });
    fires(auth.input({ url: 'wss://h/ws', auth: { method: 'first-message', token: 'abcd' } }), 'ws.one-way-only');
  });

  it('ws.one-way-only stays quiet when the client sends, or after too short a look', () => {
    silent(ws({ out: 1 }).input({ url: 'wss://h/ws' }), 'ws.one-way-only');
    silent(ws({ duration: 3000 }).input({ url: 'wss://h/ws' }), 'ws.one-way-only');
  });

  it('ws.no-tls: risk with a credential off this machine, info on loopback, quiet for wss', () => {
    const r = ws();
    assert.equal(fires(r.input({ url: 'ws://h.example/ws', auth: { method: 'bearer', token: 'abcd' } }), 'ws.no-tls').severity, 'risk');
    const plain = fires(r.input({ url: 'ws://h.example/ws' }), 'ws.no-tls');
    assert.equal(plain.severity, 'warning');
    assert.doesNotMatch(plain.why, /credential|token/, 'no credential, none named in the why');
    assert.match(fires(r.input({ url: 'ws://h.example:8080/ws', auth: { method: 'bearer', token: 'abcd' } }), 'ws.no-tls').why, /the credential included/);
    assert.equal(fires(r.input({ url: 'ws://127.0.0.1:9/ws' }), 'ws.no-tls').severity, 'info');
    silent(r.input({ url: 'wss://h.example/ws' }), 'ws.no-tls');
  });

  it('ws.token-in-subprotocol: warning when echoed, risk when the server echoed none', () => {
    const echoed = new Rec('ws');
    echoed.at(0, { type: 'auth', method: 'subprotocol', carrier: 'Sec-WebSocket-Protocol', value: 'x' });
    echoed.exchange(1, { purpose: 'upgrade', status: 101, headers: [['Sec-WebSocket-Protocol', 'access_token']] });
    const a = fires(echoed.input({ url: 'wss://h/ws' }), 'ws.token-in-subprotocol');
    assert.equal(a.severity, 'warning');
    assert.match(a.message, /echoed "access_token"/);
    const none = new Rec('ws');
    none.at(0, { type: 'auth', method: 'subprotocol', carrier: 'Sec-WebSocket-Protocol', value: 'x' });
    none.exchange(1, { purpose: 'upgrade', status: 101, headers: [['Upgrade', 'websocket']] });
    const b = fires(none.input({ url: 'wss://h/ws' }), 'ws.token-in-subprotocol');
    assert.equal(b.severity, 'risk');
    assert.match(b.message, /did not echo a subprotocol: browsers drop/);
    silent(ws().input({ url: 'wss://h/ws' }), 'ws.token-in-subprotocol');
  });

  it('ws.first-message-auth measures how long the connection stayed open unauthenticated', () => {
    const r = new Rec('ws');
    r.at(0, { type: 'auth', method: 'first-message', carrier: 'first message after open', value: 'x' });
    r.exchange(1, { purpose: 'upgrade', status: 101 });
    r.open(10);
    r.out(11, '{"type":"auth","token":"«redacted»"}');
    r.msg(25, '{"kind":"auth-ok"}');
    const h = fires(r.input({ url: 'wss://h/ws' }), 'ws.first-message-auth');
    assert.match(h.message, /stayed open 15 ms unauthenticated \(open to the server's first message\)/);
    assert.equal(h.numbers.unauthenticatedMs, 15);
    assert.equal(h.severity, 'warning');
  });

  it('ws.first-message-auth is a risk when the server pushed data before the auth message; quiet without it', () => {
    const r = new Rec('ws');
    r.at(0, { type: 'auth', method: 'first-message', carrier: 'first message after open', value: 'x' });
    r.open(10);
    r.msg(10.5, tick(1));
    r.out(11, '{"type":"auth"}');
    r.at(40, { type: 'close', code: 4401, reason: 'unauthorized', by: 'server', wasClean: true });
    const h = fires(r.input({ url: 'wss://h/ws' }), 'ws.first-message-auth');
    assert.equal(h.severity, 'risk');
    assert.match(h.message, /open 30 ms unauthenticated \(open to the server's close \(4401 "unauthorized"\)\), and the server sent 1 message before/);
    silent(ws().input({ url: 'wss://h/ws' }), 'ws.first-message-auth');
  });

  it('ws.no-heartbeat fires for a long silence without ping/pong', () => {
    const r = new Rec('ws');
    r.exchange(0, { purpose: 'upgrade', status: 101 });
    r.open(2);
    r.msg(100, tick(1));
    r.msg(40_100, tick(2));
    const h = fires(r.input({ url: 'wss://h/ws' }), 'ws.no-heartbeat');
    assert.match(h.message, /idle for 40 s \(more than 30 s\)/);
  });

  it('ws.no-heartbeat stays quiet with pings or short silences', () => {
    const r = new Rec('ws');
    r.open(2);
    r.msg(100, tick(1));
    r.at(20_000, { type: 'ping', direction: 'in', size: 0, data: new Uint8Array() });
    r.msg(40_100, tick(2));
    silent(r.input({ url: 'wss://h/ws' }), 'ws.no-heartbeat');
    silent(ws().input({ url: 'wss://h/ws' }), 'ws.no-heartbeat');
  });

  it('ws.no-reconnect fires when the server closed and nothing reconnected', () => {
    const r = ws({ in: 3, duration: 100 });
    r.at(200, { type: 'close', code: 1001, reason: 'going away', by: 'server', wasClean: true });
    r.at(201, { type: 'state', state: 'closed', previous: 'open' });
    assert.match(fires(r.input({ url: 'wss://h/ws' }), 'ws.no-reconnect').message, /closed by the server \(code 1001 "going away"\) and nothing reconnected \(reconnect is off/);
    // Without events, the stats still know a close came from the other side.
    assert.ok(computeHints({ ...r.input({ url: 'wss://h/ws' }), events: undefined }).some((x) => x.id === 'ws.no-reconnect'));
  });

  it('ws.no-reconnect stays quiet after a reconnect or a client close', () => {
    const r = ws({ in: 3, duration: 100 });
    r.at(200, { type: 'close', code: 1006, reason: 'dropped', by: 'network', wasClean: false });
    r.at(201, { type: 'reconnect', attempt: 1, delayMs: 500, reason: 'connection lost' });
    silent(r.input({ url: 'wss://h/ws' }), 'ws.no-reconnect');
    const c = ws({ in: 3, duration: 100 });
    c.at(200, { type: 'close', code: 1000, reason: 'bye', by: 'client', wasClean: true });
    silent(c.input({ url: 'wss://h/ws' }), 'ws.no-reconnect');
  });

  it('ws.multiple-connections fires from the workspace context only', () => {
    const r = ws();
    const h = fires(r.input({ url: 'wss://h.example/ws' }, { context: { otherWsSessionsToSameHost: 2 } }), 'ws.multiple-connections');
    assert.match(h.message, /^3 WebSocket connections to h\.example .*TCP and TLS/);
    silent(r.input({ url: 'wss://h.example/ws' }, { context: { otherWsSessionsToSameHost: 0 } }), 'ws.multiple-connections');
  });
});

describe('computeHints', () => {
  it('orders hints risk first and keeps transport-specific rules to their transport', () => {
    const r = new Rec('ws');
    r.at(0, { type: 'auth', method: 'query', carrier: 'query', value: 'x' });
    r.open(1);
    for (let i = 0; i < 30; i++) r.msg(2 + i * 500, tick(i + 1));
    const hs = computeHints(r.input({ url: 'ws://h.example/ws', auth: { method: 'query', param: 'token', token: 'abcd' } }));
    assert.ok(hs.length >= 3);
    const rank = { risk: 0, warning: 1, info: 2 };
    for (let i = 1; i < hs.length; i++) assert.ok(rank[hs[i - 1].severity] <= rank[hs[i].severity]);
    assert.ok(hs.every((h) => h.transport === 'ws'));
  });

  it('accepts an EventLog-like iterable and no events at all', () => {
    const r = new Rec('poll');
    for (let i = 0; i < 12; i++) r.poll(i * 100, i, 'unchanged');
    const iter = { *[Symbol.iterator]() { yield* r.events; } };
    assert.ok(computeHints({ ...r.input(), events: iter }).some((h) => h.id === 'poll.mostly-empty'));
    assert.ok(computeHints({ ...r.input(), events: undefined }).some((h) => h.id === 'poll.mostly-empty'));
  });

  it('has unique rule ids per transport and thresholds with sane values', () => {
    assert.ok(HINT_RULES.length >= 20);
    for (const [k, v] of Object.entries(HINT_THRESHOLDS)) assert.ok(Number.isFinite(v) && v > 0, k);
  });
});
