/**
 * The stats strip's numbers from a session's running stats and the tail of its log.
 * Computed per batch (a few times per second), never per event. No `vscode` import.
 */
import type { EventLog } from '../shared/eventLog';
import type { StatsSummary } from '../shared/protocol';
import { percentile, type SessionStats } from '../shared/stats';

/** "Over the last few seconds". */
export const RATE_WINDOW_MS = 5000;
/** A young session's rate is measured over at least this long, so the first message is not "1000/s". */
const MIN_RATE_SPAN_MS = 1000;
/** At extreme rates, look at no more than this many events from the end. */
const MAX_SCAN = 200_000;

/**
 * @param nowT the session clock now (a live session), or the last event's t (a recording),
 *   so an idle live session's rate falls to zero.
 */
export function summarizeStats(stats: SessionStats, log: EventLog, nowT: number, windowMs = RATE_WINDOW_MS): StatsSummary {
  const since = nowT - windowMs;
  let count = 0;
  let bytes = 0;
  const stop = Math.max(0, log.size - MAX_SCAN);
  // timeAt/incomingSizeAt read the log's slots without building events (messages are kept compactly).
  for (let i = log.size - 1; i >= stop; i--) {
    const t = log.timeAt(i);
    if (t < since) break;
    const size = log.incomingSizeAt(i);
    if (size >= 0 && t <= nowT) {
      count++;
      bytes += size;
    }
  }
  const spanMs = Math.max(MIN_RATE_SPAN_MS, Math.min(windowMs, nowT - Math.max(0, stats.firstT)));
  const messages = stats.messagesIn + stats.messagesOut;
  const summary: StatsSummary = {
    messagesIn: stats.messagesIn,
    messagesOut: stats.messagesOut,
    bytesIn: stats.payloadBytesIn,
    bytesOut: stats.payloadBytesOut,
    rateIn: round2((count * 1000) / spanMs),
    byteRateIn: Math.round((bytes * 1000) / spanMs),
    overheadPerMessage: messages ? Math.round((stats.overheadBytesIn + stats.overheadBytesOut) / messages) : 0,
    polls: stats.polls,
    // A poll that brought nothing: 304/same body, or a long poll that timed out empty.
    uselessPolls: stats.pollsUnchanged + stats.pollsTimeout,
    reconnects: stats.reconnects,
    errors: stats.errors,
  };
  if (stats.gapMs.length) {
    summary.gapP50 = round2(percentile(stats.gapMs, 50));
    summary.gapP95 = round2(percentile(stats.gapMs, 95));
  }
  return summary;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
