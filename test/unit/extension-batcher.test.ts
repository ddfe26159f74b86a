import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLog } from '../../src/shared/eventLog';
import type { InspectorEvent } from '../../src/shared/events';
import { FlushScheduler, findBySeq, relatedEvents, takeEvents, type TimerApi } from '../../src/extension/batcher';

/** Timers driven by hand: the test decides when time passes. */
class ManualTimers implements TimerApi {
  pending: Array<{ fn: () => void; ms: number; id: number }> = [];
  private next = 1;
  set(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.push({ fn, ms, id });
    return id;
  }
  clear(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }
  fireAll(): void {
    const due = this.pending;
    this.pending = [];
    for (const t of due) t.fn();
  }
}

function info(seq: number, extra: Partial<InspectorEvent> = {}): InspectorEvent {
  return { type: 'info', seq, t: seq, message: `m${seq}`, ...extra } as InspectorEvent;
}

describe('FlushScheduler', () => {
  it('coalesces any number of schedule() calls into one flush per interval', () => {
    const timers = new ManualTimers();
    let flushes = 0;
    const s = new FlushScheduler(() => flushes++, 200, timers);
    for (let i = 0; i < 10_000; i++) s.schedule();
    assert.equal(timers.pending.length, 1);
    assert.equal(timers.pending[0].ms, 200);
    timers.fireAll();
    assert.equal(flushes, 1);
    assert.equal(timers.pending.length, 0, 'nothing scheduled, nothing pending');
  });

  it('lets a flush schedule the next one a full interval later (a capped backlog drains over several flushes)', () => {
    const timers = new ManualTimers();
    let left = 3;
    const s = new FlushScheduler(
      () => {
        left--;
        if (left > 0) s.schedule();
      },
      200,
      timers,
    );
    s.schedule();
    let rounds = 0;
    while (timers.pending.length) {
      assert.equal(timers.pending.length, 1, 'never more than one timer');
      timers.fireAll();
      rounds++;
    }
    assert.equal(rounds, 3);
    assert.equal(left, 0);
  });

  it('posts nothing while paused and reports that work was skipped', () => {
    const timers = new ManualTimers();
    let flushes = 0;
    const s = new FlushScheduler(() => flushes++, 200, timers);
    s.schedule();
    s.pause();
    assert.equal(timers.pending.length, 0, 'the pending flush is cancelled');
    s.schedule();
    timers.fireAll();
    assert.equal(flushes, 0);
    assert.equal(s.resume(), true, 'dirty while hidden');
    assert.equal(s.resume(), false, 'already resumed');
    s.schedule();
    timers.fireAll();
    assert.equal(flushes, 1);
  });

  it('resume() is false when nothing happened while paused', () => {
    const s = new FlushScheduler(() => undefined, 200, new ManualTimers());
    s.pause();
    assert.equal(s.resume(), false);
  });

  it('does nothing after dispose', () => {
    const timers = new ManualTimers();
    let flushes = 0;
    const s = new FlushScheduler(() => flushes++, 200, timers);
    s.schedule();
    s.dispose();
    assert.equal(timers.pending.length, 0);
    s.schedule();
    assert.equal(timers.pending.length, 0);
    assert.equal(flushes, 0);
  });
});

describe('takeEvents', () => {
  it('reads in order from a cursor, capped per call', () => {
    const log = new EventLog(100);
    for (let i = 0; i < 12; i++) log.push(info(i));
    const a = takeEvents(log, 0, 5);
    assert.deepEqual(a.events.map((e) => e.seq), [0, 1, 2, 3, 4]);
    assert.equal(a.next, 5);
    assert.equal(a.skipped, 0);
    const b = takeEvents(log, a.next, 100);
    assert.deepEqual(b.events.map((e) => e.seq), [5, 6, 7, 8, 9, 10, 11]);
    assert.equal(b.next, 12);
    assert.deepEqual(takeEvents(log, b.next, 100).events, []);
  });

  it('reports events the ring dropped before they were read', () => {
    const log = new EventLog(4);
    for (let i = 0; i < 10; i++) log.push(info(i));
    const r = takeEvents(log, 2, 100);
    assert.equal(r.skipped, 4);
    assert.deepEqual(r.events.map((e) => e.seq), [6, 7, 8, 9]);
    assert.equal(r.next, 10);
  });

  it('stays valid when the log is cleared and when seq numbers have gaps (imported logs)', () => {
    const log = new EventLog(10);
    for (const seq of [3, 7, 8, 20]) log.push(info(seq));
    assert.deepEqual(takeEvents(log, 0, 10).events.map((e) => e.seq), [3, 7, 8, 20]);
    log.clear();
    log.push(info(21));
    const r = takeEvents(log, 4, 10);
    assert.deepEqual(r.events.map((e) => e.seq), [21]);
    assert.equal(r.next, 5);
  });
});

describe('findBySeq', () => {
  it('finds kept events by seq with gaps, and nothing for dropped or unknown ones', () => {
    const log = new EventLog(5);
    for (const seq of [1, 2, 4, 8, 16, 32, 64]) log.push(info(seq));
    assert.equal(findBySeq(log, 8)?.seq, 8);
    assert.equal(findBySeq(log, 64)?.seq, 64);
    assert.equal(findBySeq(log, 4)?.seq, 4);
    assert.equal(findBySeq(log, 2), undefined, 'dropped by the ring');
    assert.equal(findBySeq(log, 5), undefined);
  });
});

describe('relatedEvents', () => {
  it('returns the exchange of an event without the messages of a long stream', () => {
    const log = new EventLog(100);
    const req = { type: 'request', seq: 0, t: 0, requestId: 7, purpose: 'sse', method: 'GET', url: 'http://x/', headers: [], headerBytes: 10, bodyBytes: 0 } as InspectorEvent;
    const res = { type: 'response', seq: 1, t: 1, requestId: 7, status: 200, statusText: 'OK', httpVersion: '1.1', headers: [], headerBytes: 10 } as InspectorEvent;
    log.push(req);
    log.push(res);
    for (let i = 2; i < 50; i++) log.push({ type: 'message', seq: i, t: i, requestId: 7, direction: 'in', size: 1, binary: false, data: 'x' } as InspectorEvent);
    log.push({ type: 'request', seq: 50, t: 50, requestId: 8, purpose: 'send', method: 'POST', url: 'http://x/send', headers: [], headerBytes: 10, bodyBytes: 1 } as InspectorEvent);
    const msg = findBySeq(log, 10)!;
    assert.deepEqual(relatedEvents(log, msg).map((e) => e.seq), [0, 1]);
    assert.deepEqual(relatedEvents(log, req).map((e) => e.seq), [1]);
    assert.deepEqual(relatedEvents(log, info(99)), [], 'no requestId, nothing related');
  });
});
