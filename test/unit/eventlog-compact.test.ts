import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPACT_BASE_BYTES, EventLog, INLINE_MAX, pooledSlabBytes } from '../../src/shared/eventLog';
import type { InspectorEvent, MessageEvent } from '../../src/shared/events';

/** Deterministic payload for seq: its size varies, its bytes say which seq it belongs to. */
function payloadOf(seq: number, maxSize = 3000): Buffer {
  const size = 1 + ((seq * 7919) % maxSize);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (seq + i) & 0xff;
  return b;
}

/** pushMessage with the size taken from the payload. */
function put(log: EventLog, seq: number, t: number, direction: 'in' | 'out', payload: Uint8Array | string, binary: boolean, opcode: number, overheadBytes: number): void {
  log.pushMessage(seq, t, direction, payload, typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength, binary, opcode, overheadBytes);
}

function textOf(seq: number): string {
  return `é${seq}:` + 'x'.repeat(seq % 50) + '→';
}

describe('EventLog.pushMessage (compact messages)', () => {
  it('reads back the same MessageEvent an object push would keep, text decoded and binary as bytes', () => {
    const log = new EventLog(10);
    const text = 'héllo → wörld 🎉';
    put(log, 0, 1.5, 'in', Buffer.from(text), false, 1, 2);
    put(log, 1, 2.25, 'in', Buffer.from([0, 1, 2, 255]), true, 2, 2);
    put(log, 2, 3, 'out', Buffer.from('up'), false, 0, 6);
    assert.deepEqual(log.at(0), { type: 'message', direction: 'in', size: Buffer.byteLength(text), binary: false, data: text, opcode: 1, overheadBytes: 2, seq: 0, t: 1.5 });
    const bin = log.at(1) as MessageEvent;
    assert.deepEqual([...(bin.data as Uint8Array)], [0, 1, 2, 255]);
    assert.equal(bin.binary, true);
    assert.equal(bin.opcode, 2);
    assert.ok(Buffer.isBuffer(bin.data), 'in Node, binary payloads are Buffers, as ws hands them');
    const out = log.at(2) as MessageEvent;
    assert.equal(out.direction, 'out');
    assert.equal('opcode' in out, false, 'opcode 0 means none');
    assert.deepEqual(Object.keys(log.at(0)!), ['type', 'direction', 'size', 'binary', 'data', 'opcode', 'overheadBytes', 'seq', 't'], 'same keys, same order as the WebSocket transport emitted before');
  });

  it('takes outgoing text as a string: encoded into the slab when small, kept as the string when large', () => {
    const log = new EventLog(10);
    put(log, 0, 0, 'out', 'naïve → ok', false, 1, 6);
    const large = 'ß'.repeat(INLINE_MAX);
    put(log, 1, 1, 'out', large, false, 1, 14);
    assert.equal((log.at(0) as MessageEvent).data, 'naïve → ok');
    assert.equal((log.at(0) as MessageEvent).size, Buffer.byteLength('naïve → ok'));
    assert.equal((log.at(1) as MessageEvent).data, large);
    assert.equal(log.bytes, 2 * COMPACT_BASE_BYTES + Buffer.byteLength('naïve → ok') + Buffer.byteLength(large));
  });

  it('text reads back exactly as Buffer.toString would give it: a leading BOM kept, bad UTF-8 as U+FFFD', () => {
    const log = new EventLog(10);
    const bom = Buffer.from('\uFEFFhello');
    const bad = Buffer.from([0x61, 0xff, 0x62]);
    put(log, 0, 0, 'in', bom, false, 1, 2);
    put(log, 1, 1, 'in', bad, false, 1, 2);
    const big = Buffer.concat([Buffer.from('\uFEFF'), Buffer.alloc(INLINE_MAX, 'b')]);
    put(log, 2, 2, 'in', big, false, 1, 4);
    assert.equal((log.at(0) as MessageEvent).data, bom.toString());
    assert.equal((log.at(1) as MessageEvent).data, bad.toString());
    assert.equal((log.at(2) as MessageEvent).data, big.toString());
  });

  it('outgoing text with a lone surrogate reads back as it went on the wire (U+FFFD); a wrong size never shows stale slab bytes', () => {
    const a = new EventLog(10);
    put(a, 0, 0, 'out', 'Zsecret-from-before', false, 1, 6);
    a.clear(); // its slab goes to the pool, bytes and all
    const log = new EventLog(10);
    const text = 'a\uD800\u00e9b';
    put(log, 0, 0, 'out', text, false, 1, 6);
    const m = log.at(0) as MessageEvent;
    assert.equal(m.data, Buffer.from(text).toString());
    assert.equal(m.size, Buffer.byteLength(text));
    log.pushMessage(1, 1, 'out', '\uD800\u4e00', 4, false, 1, 6);
    assert.equal((log.at(1) as MessageEvent).data, '\uD800\u4e00', 'kept as the string, not decoded from 4 bytes of a reused slab');
  });

  it('copies small payloads: the caller may reuse its buffer at once', () => {
    const log = new EventLog(10);
    const buf = Buffer.from('first');
    put(log, 0, 0, 'in', buf, false, 1, 2);
    buf.write('XXXXX');
    assert.equal((log.at(0) as MessageEvent).data, 'first');
  });

  it('keeps payloads over INLINE_MAX by reference and still decodes text when read', () => {
    const log = new EventLog(10);
    const big = Buffer.alloc(INLINE_MAX + 1, 'a');
    put(log, 0, 0, 'in', big, true, 2, 10);
    put(log, 1, 0, 'in', big, false, 1, 10);
    assert.equal((log.at(0) as MessageEvent).data, big, 'binary: the same buffer, no copy');
    assert.equal((log.at(1) as MessageEvent).data, 'a'.repeat(INLINE_MAX + 1));
    assert.equal(log.bytes, 2 * (COMPACT_BASE_BYTES + INLINE_MAX + 1));
  });

  it('interleaves with object events: order, seq lookups and drops stay right', () => {
    const log = new EventLog(5);
    const info = (seq: number): InspectorEvent => ({ type: 'info', key: 'k', message: `i${seq}`, seq, t: seq });
    for (let seq = 0; seq < 12; seq++) {
      if (seq % 3 === 0) log.push(info(seq));
      else put(log, seq, seq, 'in', Buffer.from(`m${seq}`), false, 1, 2);
    }
    assert.equal(log.size, 5);
    assert.equal(log.dropped, 7);
    assert.equal(log.firstSeq, 7);
    assert.deepEqual([...log].map((e) => e.seq), [7, 8, 9, 10, 11]);
    assert.equal((log.bySeq(8) as MessageEvent).data, 'm8');
    assert.equal(log.bySeq(9)?.type, 'info');
    assert.equal(log.bySeq(6), undefined);
    assert.equal(log.bySeq(12), undefined);
    assert.equal(log.bySeq(7.5), undefined);
    assert.deepEqual(log.slice(1, 3).map((e) => e.seq), [8, 9]);
  });

  it('answers time, seq, incoming size and the non-message events without building messages', () => {
    const log = new EventLog(4);
    log.push({ type: 'info', key: 'k', message: 'dropped soon', seq: 0, t: 0 });
    put(log, 1, 1.5, 'in', Buffer.from('abc'), false, 1, 2);
    log.push({ type: 'message', direction: 'in', size: 5, binary: false, data: 'hello', seq: 2, t: 2 });
    put(log, 3, 3.25, 'out', 'xy', false, 1, 6);
    log.push({ type: 'state', state: 'closed', previous: 'open', seq: 4, t: 4 });
    assert.deepEqual([0, 1, 2, 3].map((i) => log.timeAt(i)), [1.5, 2, 3.25, 4]);
    assert.deepEqual([0, 1, 2, 3].map((i) => log.seqAt(i)), [1, 2, 3, 4]);
    assert.deepEqual([0, 1, 2, 3].map((i) => log.incomingSizeAt(i)), [3, 5, -1, -1]);
    assert.ok(Number.isNaN(log.timeAt(4)) && Number.isNaN(log.seqAt(-1)));
    assert.equal(log.incomingSizeAt(9), -1);
    assert.deepEqual([...log.objects()].map((e) => e.seq), [2, 4]);
  });

  it('reuses slabs after the ring wraps without corrupting any kept payload', () => {
    // 2,000 kept of 60,000 pushed, sizes 1..3,000 B: the ring wraps ~30 times and slabs are recycled.
    const log = new EventLog(2000);
    const n = 60_000;
    for (let seq = 0; seq < n; seq++) put(log, seq, seq, 'in', payloadOf(seq), true, 2, 2);
    assert.equal(log.size, 2000);
    assert.equal(log.dropped, n - 2000);
    for (const ev of log) {
      const m = ev as MessageEvent;
      assert.deepEqual(Buffer.from(m.data as Uint8Array), payloadOf(m.seq), `payload of seq ${m.seq}`);
    }
  });

  it('a binary payload read before the slab is reused does not change afterwards', () => {
    const log = new EventLog(100);
    put(log, 0, 0, 'in', Buffer.from([1, 2, 3]), true, 2, 2);
    const held = (log.at(0) as MessageEvent).data as Uint8Array;
    for (let seq = 1; seq < 5000; seq++) put(log, seq, seq, 'in', Buffer.alloc(1000, 9), true, 2, 2);
    assert.deepEqual([...held], [1, 2, 3]);
  });

  it('a cleared log gives its slabs to the next log, which reads back only its own messages', () => {
    const a = new EventLog(10_000);
    for (let seq = 0; seq < 3000; seq++) put(a, seq, seq, 'in', payloadOf(seq, 1000), true, 2, 2);
    const before = pooledSlabBytes();
    a.clear();
    const given = pooledSlabBytes() - before;
    assert.ok(given >= 1024 * 1024, `slabs went to the pool (${given} B)`);
    const b = new EventLog(10);
    put(b, 0, 0, 'in', Buffer.from('fresh'), false, 1, 2);
    assert.equal(pooledSlabBytes(), before + given - 1024 * 1024, 'the new log took one slab from the pool');
    assert.equal((b.at(0) as MessageEvent).data, 'fresh');
    assert.equal(a.size, 0);
    put(a, 3000, 3000, 'in', Buffer.from('again'), false, 1, 2);
    assert.equal((a.at(0) as MessageEvent).data, 'again');
  });

  it('keeps the byte budget with compact messages, and the newest is always kept', () => {
    const log = new EventLog(100_000, 100_000);
    for (let seq = 0; seq < 1000; seq++) put(log, seq, seq, 'in', Buffer.from(textOf(seq)), false, 1, 2);
    assert.ok(log.bytes <= 100_000, `bytes ${log.bytes}`);
    for (const ev of log) assert.equal((ev as MessageEvent).data, textOf(ev.seq));
    const huge = Buffer.alloc(200_000, 'z');
    put(log, 1000, 1000, 'in', huge, false, 1, 10);
    assert.equal(log.size, 1);
    assert.equal(log.firstSeq, 1000);
    log.clear();
    assert.equal(log.size, 0);
    assert.equal(log.bytes, 0);
    put(log, 1001, 1001, 'in', Buffer.from('after clear'), false, 1, 2);
    assert.equal((log.at(0) as MessageEvent).data, 'after clear');
  });

  it('the byte budget counts exactly what is kept, through drops of both kinds', () => {
    const log = new EventLog(7);
    let expected = 0;
    const kept: number[] = [];
    for (let seq = 0; seq < 40; seq++) {
      if (seq % 4 === 0) {
        log.push({ type: 'message', direction: 'in', size: 10, binary: false, data: '0123456789', seq, t: seq });
        kept.push(256 + 10);
      } else {
        put(log, seq, seq, 'in', payloadOf(seq, 100), true, 2, 2);
        kept.push(COMPACT_BASE_BYTES + payloadOf(seq, 100).length);
      }
      if (kept.length > 7) kept.shift();
    }
    for (const b of kept) expected += b;
    assert.equal(log.bytes, expected);
  });
});
