/**
 * The extension host's path from a session's log to the webview, built from the real pure
 * modules the panel uses (src/extension/batcher.ts, edgeRedaction.ts, statsSummary.ts and
 * src/shared/rows.ts), in the order InspectorPanel.flush() calls them. InspectorPanel itself
 * imports `vscode`, so it cannot run here; `post` stands in for webview.postMessage, which
 * serializes the message (JSON) to reach the webview's process.
 */
import { takeEvents } from '../src/extension/batcher';
import { redactorFor, type EdgeRedactor } from '../src/extension/edgeRedaction';
import { summarizeStats } from '../src/extension/statsSummary';
import type { EventLog } from '../src/shared/eventLog';
import type { InspectorEvent } from '../src/shared/events';
import type { ConnectOptions } from '../src/shared/options';
import type { EventRow, ToWebview } from '../src/shared/protocol';
import { toColumns, toRow } from '../src/shared/rows';
import type { SessionStats } from '../src/shared/stats';

/** As in src/extension/inspectorPanel.ts. */
export const MAX_ROWS_PER_POST = 5000;
export const FLUSH_INTERVAL_MS = 200;

export class HostPipeline {
  cursor = 0;
  readonly redactor: EdgeRedactor;
  rowsPosted = 0;
  skipped = 0;

  constructor(
    private readonly log: EventLog,
    private readonly stats: SessionStats,
    options: Pick<ConnectOptions, 'auth' | 'headers'>,
    private readonly nowT: () => number,
    private readonly post: (json: string) => void,
    readonly sessionId = 's1',
  ) {
    this.redactor = redactorFor(options);
  }

  row(ev: InspectorEvent): EventRow {
    return toRow(this.redactor.event(ev));
  }

  /** One flush: up to MAX_ROWS_PER_POST new rows in one DidAppendRows. Returns rows posted. */
  flush(max = MAX_ROWS_PER_POST): number {
    const { events, next, skipped } = takeEvents(this.log, this.cursor, max);
    this.cursor = next;
    this.skipped += skipped;
    if (!events.length && !skipped) return 0;
    const m: ToWebview = {
      type: 'DidAppendRows',
      sessionId: this.sessionId,
      rows: toColumns(events.map((ev) => this.row(ev))),
      total: this.log.total,
      dropped: this.log.dropped,
      stats: summarizeStats(this.stats, this.log, this.nowT()),
    };
    this.post(JSON.stringify(m));
    this.rowsPosted += events.length;
    return events.length;
  }

  /** The alternative the batching replaces: one post per record. Stats are computed once per 1,000 posts here (more often would only be slower). */
  postEach(max: number): number {
    const { events, next, skipped } = takeEvents(this.log, this.cursor, max);
    this.cursor = next;
    this.skipped += skipped;
    let stats = summarizeStats(this.stats, this.log, this.nowT());
    for (let i = 0; i < events.length; i++) {
      if (i % 1000 === 999) stats = summarizeStats(this.stats, this.log, this.nowT());
      const m: ToWebview = { type: 'DidAppendRows', sessionId: this.sessionId, rows: toColumns([this.row(events[i])]), total: this.log.total, dropped: this.log.dropped, stats };
      this.post(JSON.stringify(m));
    }
    this.rowsPosted += events.length;
    return events.length;
  }
}
