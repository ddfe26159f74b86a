import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/transports/clock';
import { Redactor, redactUrl } from '../../src/transports/redact';
import { EventLog } from '../../src/shared/eventLog';
import { previewOf, utf8Length, type InspectorEvent } from '../../src/shared/events';
import { getPath, getPathString } from '../../src/shared/jsonPath';
import { base64ToBytes, bytesToBase64, fromJsonEvent, hexToBytes, toJsonEvent, toNdjsonLine } from '../../src/shared/serialize';
import { createStats, percentile, updateStats } from '../../src/shared/stats';
import { toRow } from '../../src/shared/rows';

const msg = (seq: number, data: string | Uint8Array = `m${seq}`): InspectorEvent => ({
  type: 'message',
  seq,
  t: seq,
  direction: 'in',
  size: typeof data === 'string' ? data.length : data.byteLength,
  binary: typeof data !== 'string',
  data,
});

describe('EventLog (bounded ring buffer)', () => {
  it('keeps everything below the cap, in order', () => {
    const log = new EventLog(5);
    for (let i = 0; i < 3; i++) log.push(msg(i));
    assert.equal(log.size, 3);
    assert.equal(log.dropped, 0);
    assert.deepEqual(log.slice().map((e) => e.seq), [0, 1, 2]);
  });

  it('drops the oldest past the cap and counts the drops', () => {
    const log = new EventLog(4);
    for (let i = 0; i < 10; i++) log.push(msg(i));
    assert.equal(log.size, 4);
    assert.equal(log.dropped, 6);
    assert.equal(log.total, 10);
    assert.deepEqual([...log].map((e) => e.seq), [6, 7, 8, 9]);
    assert.equal(log.firstSeq, 6);
    assert.equal(log.bySeq(7)?.seq, 7);
    assert.equal(log.bySeq(5), undefined, 'dropped seq is gone');
    assert.equal(log.bySeq(10), undefined, 'future seq is absent');
    assert.deepEqual(log.slice(1, 3).map((e) => e.seq), [7, 8]);
  });

  it('rejects a nonsense cap with a clear error', () => {
    assert.throws(() => new EventLog(0), /positive integer/);
    assert.throws(() => new EventLog(1.5), /positive integer/);
  });

  it('keeps a byte budget: big payloads drop the oldest events, the newest is always kept', () => {
    const log = new EventLog(1000, 10_000);
    const big = (seq: number) => msg(seq, 'x'.repeat(3000));
    for (let i = 0; i < 10; i++) log.push(big(i));
    assert.ok(log.bytes <= 10_000, `bytes ${log.bytes} within the budget`);
    assert.equal(log.size, 3, '3 × (3000 + 256) fit in 10,000 bytes');
    assert.equal(log.dropped, 7);
    assert.deepEqual([...log].map((e) => e.seq), [7, 8, 9]);
    const huge = msg(10, 'y'.repeat(50_000));
    log.push(huge);
    assert.deepEqual([...log].map((e) => e.seq), [10], 'a message larger than the budget is still kept, alone');
    log.clear();
    assert.equal(log.bytes, 0);
    assert.throws(() => new EventLog(10, 0), /byte budget/);
  });

  it('stays at the cap under a flood', () => {
    const log = new EventLog(1000);
    for (let i = 0; i < 100_000; i++) log.push(msg(i));
    assert.equal(log.size, 1000);
    assert.equal(log.dropped, 99_000);
    assert.equal(log.at(0)?.seq, 99_000);
    assert.equal(log.at(999)?.seq, 99_999);
  });
});

describe('Redactor', () => {
  const token = 'tok_live_0123456789abcdefXYZ';

  it('masks a registered secret everywhere and keeps the last 4 characters', () => {
    const r = new Redactor();
    r.add(token);
    const out = r.redact(`{"token":"${token}"} and again ${token}`);
    assert.ok(!out.includes(token));
    assert.match(out, /«redacted …fXYZ»/);
    assert.equal(out.split('«redacted').length - 1, 2);
  });

  it('masks a longer secret whole even when a shorter one is its prefix (registered first)', () => {
    const r = new Redactor();
    r.add('abcd1234');
    r.add('abcd1234efgh5678ijkl');
    const out = r.redact('token=abcd1234efgh5678ijkl');
    assert.ok(!out.includes('efgh5678'), out);
    assert.equal(out, 'token=«redacted …ijkl»');
  });

  it('masks the URL-encoded form too', () => {
    const r = new Redactor();
    const s = 'a b/c+d=e&f?g1234';
    r.add(s);
    assert.ok(!r.redact(`x=${encodeURIComponent(s)}`).includes(encodeURIComponent(s)));
  });

  it('reveals when asked, and ignores too-short secrets', () => {
    const r = new Redactor(true);
    r.add(token);
    assert.equal(r.redact(token), token);
    const q = new Redactor();
    q.add('ab');
    assert.equal(q.redact('abc'), 'abc');
  });

  it('masks credential headers by name even when the value is not registered', () => {
    const r = new Redactor();
    const h = r.redactHeaders([
      ['Authorization', 'Bearer unregistered-secret-value'],
      ['Cookie', 'session=s3cr3t-value-here; theme=dark'],
      ['X-Api-Key', 'k-123456789'],
      ['Accept', 'text/event-stream'],
      ['Sec-WebSocket-Protocol', 'chat, json'],
    ]);
    assert.equal(h[0][1], 'Bearer «redacted …alue»');
    assert.ok(!h[1][1].includes('s3cr3t'));
    assert.match(h[1][1], /^session=«redacted …here»; theme=«redacted»$/);
    assert.equal(h[2][1], '«redacted»');
    assert.equal(h[3][1], 'text/event-stream');
    assert.equal(h[4][1], 'chat, json', 'ordinary subprotocols stay visible');
  });

  it('redacts token-looking query parameters and passwords in URLs, readable', () => {
    const r = new Redactor();
    const out = redactUrl('wss://user:pa55word@example.test/ws?room=1&access_token=abcdef0123456789xyz&x=2', r);
    assert.equal(out, 'wss://user:«redacted»@example.test/ws?room=1&access_token=«redacted …9xyz»&x=2');
  });
});

describe('serialize', () => {
  it('round-trips base64 for every length', () => {
    for (let n = 0; n < 40; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
      const enc = bytesToBase64(b);
      assert.equal(enc, Buffer.from(b).toString('base64'));
      assert.deepEqual([...base64ToBytes(enc)], [...b]);
    }
  });

  it('parses hex in common spellings and rejects bad input', () => {
    assert.deepEqual([...hexToBytes('de ad BE ef')], [0xde, 0xad, 0xbe, 0xef]);
    assert.deepEqual([...hexToBytes('0x01,0x02')], [1, 2]);
    assert.throws(() => hexToBytes('abc'), /not a hex string/);
    assert.throws(() => hexToBytes('zz'), /not a hex string/);
  });

  it('turns binary payloads into base64 JSON and back', () => {
    const ev = msg(3, new Uint8Array([0, 1, 2, 255]));
    const line = toNdjsonLine(ev);
    const j = JSON.parse(line);
    assert.equal(j.encoding, 'base64');
    assert.equal(j.data, 'AAEC/w==');
    assert.equal(j.binary, true);
    const back = fromJsonEvent(j);
    assert.deepEqual(back, { ...ev, data: new Uint8Array([0, 1, 2, 255]) });
    const text = toJsonEvent(msg(4, 'héllo'));
    assert.equal((text as { data: string }).data, 'héllo');
  });
});

describe('jsonPath', () => {
  it('follows dots, indexes and $', () => {
    const v = { a: { b: [{ c: 1 }, { c: 'two' }] }, token: 't' };
    assert.equal(getPath(v, 'a.b.1.c'), 'two');
    assert.equal(getPath(v, '$.a.b[0].c'), 1);
    assert.equal(getPathString(v, 'a.b[0].c'), '1');
    assert.equal(getPath(v, 'a.x.y'), undefined);
    assert.equal(getPathString(v, 'a'), undefined);
  });
});

describe('backoff', () => {
  it('grows exponentially, is capped, and never goes below half the step', () => {
    assert.equal(backoffDelay(0, 500, 30_000, () => 0), 250);
    assert.equal(backoffDelay(0, 500, 30_000, () => 1), 500);
    assert.equal(backoffDelay(3, 500, 30_000, () => 0), 2000);
    assert.equal(backoffDelay(20, 500, 30_000, () => 1), 30_000);
  });
});

describe('stats', () => {
  it('folds events into counters and bounded samples', () => {
    const s = createStats();
    updateStats(s, { type: 'session', seq: 0, t: 0, transport: 'poll', url: 'http://x', wallStart: 0, options: {} });
    for (let i = 1; i <= 10; i++) {
      updateStats(s, { type: 'poll', seq: i, t: i, requestId: i, outcome: i % 5 === 0 ? 'data' : 'unchanged', reason: 'x', gapMs: i });
    }
    updateStats(s, msg(11, 'abcd'));
    assert.equal(s.transport, 'poll');
    assert.equal(s.polls, 10);
    assert.equal(s.pollsWithData, 2);
    assert.equal(s.pollsUnchanged, 8);
    assert.equal(s.messagesIn, 1);
    assert.equal(s.payloadBytesIn, 4);
    assert.equal(percentile(s.gapMs, 50), 5);
    assert.equal(percentile(s.gapMs, 95), 10);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});

describe('previews and rows', () => {
  it('makes control, ANSI and bidi characters inert in one line', () => {
    const p = previewOf('a\nb\u001b[31mred\u202Eevil');
    assert.ok(!/[\u0000-\u001f\u202e]/.test(p));
    assert.match(p, /^a⏎b·\[31mred·evil$/);
  });

  it('shows binary as hex and truncates long text', () => {
    assert.equal(previewOf(new Uint8Array([1, 171])), '01 ab');
    assert.equal(previewOf('x'.repeat(500), 10).length, 10);
  });

  it('counts UTF-8 bytes like Buffer does', () => {
    for (const s of ['', 'abc', 'héllo', '€', '𝄞 music', 'a\u0800b', 'a\uD800\u00e9b', 'x\uD83D', '\uDC00y', '\uD800\uD800\uDC00']) assert.equal(utf8Length(s), Buffer.byteLength(s), s);
  });

  it('builds a row for every event kind', () => {
    const row = toRow({ type: 'message', seq: 1, t: 2, direction: 'in', size: 3, binary: false, data: 'abc', sse: { event: 'tick', id: '7' } });
    assert.equal(row.label, 'tick');
    assert.equal(row.id, '7');
    assert.equal(row.preview, 'abc');
    const err = toRow({ type: 'error', seq: 2, t: 3, code: 'ECONNREFUSED', message: 'refused', fatal: true });
    assert.equal(err.error, true);
    assert.equal(toRow({ type: 'close', seq: 3, t: 4, code: 0, reason: 'done', by: 'client', wasClean: true }).label, 'closed', 'HTTP transports have no close code');
    assert.equal(toRow({ type: 'close', seq: 4, t: 5, code: 1001, reason: '', by: 'server', wasClean: true }).label, '1001');
  });
});
