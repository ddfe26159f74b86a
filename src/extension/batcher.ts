/**
 * Batching between the receive path and the webview: events are recorded at wire speed,
 * the panel hears about them a few times per second at most. No `vscode` import: unit-tested.
 */
import type { EventLog } from '../shared/eventLog';
import type { InspectorEvent } from '../shared/events';

export interface TimerApi {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: TimerApi = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Calls `flush` at most once per `intervalMs`, and only when something was scheduled.
 * While paused (the panel is hidden) nothing flushes; scheduled work only marks it dirty,
 * and `resume()` reports whether anything happened meanwhile.
 *
 * `schedule()` is cheap (a flag and a comparison when a flush is already pending), so the
 * receive path may call it per event.
 */
export class FlushScheduler {
  private handle: unknown;
  private pending = false;
  private paused = false;
  private dirtyWhilePaused = false;
  private disposed = false;

  constructor(
    private readonly flush: () => void,
    readonly intervalMs = 200,
    private readonly timers: TimerApi = realTimers,
  ) {}

  schedule(): void {
    if (this.pending || this.disposed) return;
    if (this.paused) {
      this.dirtyWhilePaused = true;
      return;
    }
    this.pending = true;
    this.handle = this.timers.set(() => this.run(), this.intervalMs);
  }

  get isPending(): boolean {
    return this.pending;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Stops flushing (hidden panel). A pending flush is cancelled and remembered as dirty. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.pending) {
      this.timers.clear(this.handle);
      this.pending = false;
      this.dirtyWhilePaused = true;
    }
  }

  /** Flushing allowed again. Returns true when work was scheduled while paused. */
  resume(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    const dirty = this.dirtyWhilePaused;
    this.dirtyWhilePaused = false;
    return dirty;
  }

  dispose(): void {
    this.disposed = true;
    if (this.pending) this.timers.clear(this.handle);
    this.pending = false;
  }

  private run(): void {
    this.pending = false;
    if (this.disposed || this.paused) return;
    // flush() may call schedule() again (more rows left): the next run is a full interval later.
    this.flush();
  }
}

/**
 * Reads kept events after a cursor. The cursor counts events *pushed* into the log (not seq
 * numbers, which an imported log need not have dense), so it stays valid when the ring
 * drops old events or the log is cleared: events that fell out before being read are
 * reported as `skipped`.
 */
export function takeEvents(log: EventLog, cursor: number, max: number): { events: InspectorEvent[]; next: number; skipped: number } {
  const firstPushed = log.total - log.size;
  const start = Math.max(cursor, firstPushed);
  const from = start - firstPushed;
  const to = Math.min(log.size, from + Math.max(0, max));
  return { events: log.slice(from, to), next: firstPushed + Math.max(from, to), skipped: start - cursor };
}

/** Cursor value meaning "everything pushed so far has been delivered". */
export function endCursor(log: EventLog): number {
  return log.total;
}

/** Finds a kept event by seq with a binary search (seq increases along the log, gaps allowed). */
export function findBySeq(log: EventLog, seq: number): InspectorEvent | undefined {
  let lo = 0;
  let hi = log.size - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = log.seqAt(mid);
    if (at === seq) return log.at(mid);
    if (at < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Event kinds that describe one HTTP exchange, shown next to an event of the same request. */
const EXCHANGE_TYPES = new Set(['request', 'response', 'timing', 'redirect', 'poll', 'error']);

function requestIdOf(ev: InspectorEvent): number | undefined {
  return (ev as { requestId?: number }).requestId;
}

/**
 * The other events of the exchange `ev` belongs to (its request, response, timing, redirects,
 * poll verdict, errors), oldest first. Messages are left out: an SSE stream has one request
 * and may carry a hundred thousand messages.
 */
export function relatedEvents(log: EventLog, ev: InspectorEvent, max = 20): InspectorEvent[] {
  const rid = requestIdOf(ev);
  if (rid === undefined) return [];
  const out: InspectorEvent[] = [];
  // objects(): exchange events are never compact messages, so none is built just to be skipped.
  for (const e of log.objects()) {
    if (e !== ev && EXCHANGE_TYPES.has(e.type) && requestIdOf(e) === rid) {
      out.push(e);
      if (out.length >= max) break;
    }
  }
  return out;
}
