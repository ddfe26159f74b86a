import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeStats } from '../../src/extension/statsSummary';
import { EventLog } from '../../src/shared/eventLog';
import type { InspectorEvent } from '../../src/shared/events';
import { createStats, updateStats } from '../../src/shared/stats';

function record(events: InspectorEvent[]): { log: EventLog; stats: ReturnType<typeof createStats> } {
  const log = new EventLog(1000);
  const stats = createStats();
  for (const ev of events) {
    log.push(ev);
    updateStats(stats, ev);
  }
  return { log, stats };
}

const msg = (seq: number, t: number, size: number, direction: 'in' | 'out' = 'in'): InspectorEvent => ({ type: 'message', seq, t, direction, size, binary: false, data: 'x'.repeat(size), overheadBytes: 2 });

describe('summarizeStats', () => {
  it('measures the incoming rate over the last five seconds only', () => {
    const events: InspectorEvent[] = [];
    let seq = 0;
    // 10 old messages, then 20 messages of 100 bytes in the last 5 s.
    for (let i = 0; i < 10; i++) events.push(msg(seq++, 100 + i, 10));
    for (let i = 0; i < 20; i++) events.push(msg(seq++, 10_000 + i * 200, 100));
    events.push(msg(seq++, 14_000, 50, 'out'));
    const { log, stats } = record(events);
    const s = summarizeStats(stats, log, 15_000);
    assert.equal(s.messagesIn, 30);
    assert.equal(s.messagesOut, 1);
    assert.equal(s.bytesIn, 10 * 10 + 20 * 100);
    assert.equal(s.bytesOut, 50);
    assert.equal(s.rateIn, 4, '20 messages in 5 s');
    assert.equal(s.byteRateIn, 400);
    assert.equal(s.overheadPerMessage, 2);
  });

  it('falls to zero when a live session goes quiet', () => {
    const { log, stats } = record([msg(0, 1000, 10), msg(1, 1100, 10)]);
    assert.ok(summarizeStats(stats, log, 1200).rateIn > 0);
    assert.equal(summarizeStats(stats, log, 60_000).rateIn, 0);
  });

  it('does not inflate the rate of a session younger than a second', () => {
    const { log, stats } = record([msg(0, 10, 1), msg(1, 20, 1)]);
    assert.equal(summarizeStats(stats, log, 30).rateIn, 2);
  });

  it('counts useless polls and gap percentiles', () => {
    const polls: InspectorEvent[] = [
      { type: 'poll', seq: 0, t: 0, requestId: 1, outcome: 'data', reason: '200', gapMs: 10 },
      { type: 'poll', seq: 1, t: 1, requestId: 2, outcome: 'unchanged', reason: '304', gapMs: 20 },
      { type: 'poll', seq: 2, t: 2, requestId: 3, outcome: 'timeout', reason: '204', gapMs: 30 },
      { type: 'poll', seq: 3, t: 3, requestId: 4, outcome: 'error', reason: 'http-500', gapMs: 40 },
    ];
    const { log, stats } = record(polls);
    const s = summarizeStats(stats, log, 3);
    assert.equal(s.polls, 4);
    assert.equal(s.uselessPolls, 2);
    assert.equal(s.gapP50, 20);
    assert.equal(s.gapP95, 40);
    assert.equal(summarizeStats(createStats(), new EventLog(1), 0).gapP50, undefined);
  });
});
