/**
 * The inspector's side of the host↔webview protocol (src/shared/protocol.ts), without
 * `vscode` so it is unit-tested: InspectorPanel only wires a WebviewPanel to it.
 *
 * Posts nothing before the webview's Ready and answers it with a Snapshot; then sends the
 * active session's new rows in batches (one flush per interval at most, capped rows per
 * post). While hidden it posts nothing; visible again, it sends a fresh Snapshot.
 */
import type { InspectorEvent, TransportKind } from '../shared/events';
import type { Hint } from '../shared/hints';
import {
  isFromWebview,
  type AnalysisKind,
  type AuthMatrixParams,
  type AuthMatrixView,
  type CompareParams,
  type ComparisonView,
  type ConnectionConfig,
  type EventRow,
  type RowColumns,
  type FromWebview,
  type SessionSummary,
  type StatsSummary,
  type ToWebview,
} from '../shared/protocol';
import { toColumns, toRow } from '../shared/rows';
import { toJsonEvent } from '../shared/serialize';
import type { Session } from '../transports/session';
import { analysisTitle, isCancel } from './analysisRunner';
import { FlushScheduler, findBySeq, realTimers, relatedEvents, takeEvents, type TimerApi } from './batcher';
import { errorMessage } from './errors';
import { transportName } from './labels';
import { parseSendInput, type SendFormat } from './sendInput';
import type { SessionEntry } from './sessionManager';
import type { InspectorSettings } from './settings';
import { summarizeStats } from './statsSummary';

/** At most one flush per this interval: ~5 posts of rows per second. */
export const FLUSH_INTERVAL_MS = 200;
/** Rows per DidAppendRows / Snapshot; a backlog goes out over several flushes. */
export const MAX_ROWS_PER_POST = 5000;
/** Stats (rates decay while idle), hints and other sessions' counts refresh this often. */
export const SLOW_REFRESH_MS = 1000;

/** The session operations the panel uses (SessionManager implements them). */
export interface PanelSessions {
  list(): SessionEntry[];
  get(id: string): SessionEntry | undefined;
  summary(entry: SessionEntry): SessionSummary;
  nowT(entry: SessionEntry): number;
  isLive(entry: SessionEntry): boolean;
  close(id: string): Promise<void>;
  clear(id: string): boolean;
}

/** What the panel needs from the rest of the host. */
export interface PanelHost {
  readonly sessions: PanelSessions;
  readonly log: { warn(line: string): void; error(line: string): void };
  settings(): InspectorSettings;
  demoUrl(): string | undefined;
  /** Creates the session (the panel adopts it) and connects; rejects with a redacted one-sentence reason. */
  connectFromPanel(config: ConnectionConfig): Promise<void>;
  exportSession(sessionId: string, format: 'ndjson' | 'har'): Promise<void>;
  /** Starts the demo server if needed; the form fields for a transport. */
  demoDefaults(transport: TransportKind): Promise<Partial<ConnectionConfig>>;
  hintsFor(entry: SessionEntry, reveal: boolean): Hint[];
  /** Redacts free text with every session's known secrets (errors not tied to one session). */
  redactAll(text: string): string;
  /** Runs an auth matrix (progress and cancel in a notification); resolves with the redacted view, rejects with a redacted sentence. */
  runAuthMatrix(params: AuthMatrixParams, signal: AbortSignal): Promise<AuthMatrixView>;
  /** Runs a transport comparison, likewise. */
  compareTransports(params: CompareParams, signal: AbortSignal): Promise<ComparisonView>;
}

/** The Analysis view's state: the latest results and the run in progress. */
export interface PanelAnalysis {
  authMatrix?: AuthMatrixView;
  comparison?: ComparisonView;
  running?: { kind: AnalysisKind; title: string };
}

type Pingable = Session & { ping(data?: string | Uint8Array): void };
const canPing = (s: Session): s is Pingable => typeof (s as Partial<Pingable>).ping === 'function';

export class PanelController {
  private readonly scheduler: FlushScheduler;
  private ready = false;
  private visible = true;
  private disposed = false;
  private revealSecrets = false;
  private activeId: string | undefined;
  /** Push-count cursor into the active session's log: what the webview has been sent. */
  private cursor = 0;
  private pendingDefaults: Partial<ConnectionConfig> | undefined;
  private readonly postedSummaries = new Map<string, string>();
  private postedHints = '';
  private lastSlowRefresh = 0;
  private authMatrix: AuthMatrixView | undefined;
  private comparison: ComparisonView | undefined;
  /** One analysis at a time: they measure timings, a second run would disturb the first. */
  private running: { kind: AnalysisKind; title: string; abort: AbortController } | undefined;

  constructor(
    private readonly host: PanelHost,
    private readonly postMessage: (m: ToWebview) => void,
    timers: TimerApi = realTimers,
    private readonly clock: () => number = Date.now,
  ) {
    this.scheduler = new FlushScheduler(() => this.guard('flush', () => this.flush()), FLUSH_INTERVAL_MS, timers);
  }

  get activeSessionId(): string | undefined {
    return this.active()?.id;
  }

  get isRevealingSecrets(): boolean {
    return this.revealSecrets;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** What the Analysis view holds (the same data posted to the webview). */
  get analysis(): PanelAnalysis {
    return { authMatrix: this.authMatrix, comparison: this.comparison, running: this.running && { kind: this.running.kind, title: this.running.title } };
  }

  // ---------------------------------------------------------------------------------------
  // Events from the host

  /** Something was recorded: cheap, called at most once per microtask. */
  onAppend(): void {
    this.scheduler.schedule();
  }

  onSessionChanged(entry: SessionEntry): void {
    this.guard('session change', () => {
      if (!this.canPost()) return;
      if (!this.active()) {
        // The webview shows the first session that appears; follow it.
        this.activeId = entry.id;
        this.cursor = entry.log.total - entry.log.size;
      }
      const key = this.summaryKey(entry, entry.id !== this.activeId);
      if (this.postedSummaries.get(entry.id) !== key) this.postSummary(entry);
      this.scheduler.schedule();
    });
  }

  onSessionCleared(entry: SessionEntry): void {
    if (entry.id === this.activeId) this.cursor = entry.log.total;
    this.post({ type: 'DidClear', sessionId: entry.id });
    this.scheduler.schedule();
  }

  onSessionRemoved(): void {
    // The protocol has no "removed" message: a Snapshot carries the new list.
    this.guard('session removal', () => this.sendSnapshot());
  }

  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible) {
      this.scheduler.resume();
      // A fresh picture instead of a replayed backlog. If VS Code rebuilt the webview, its Ready brings another.
      this.guard('visibility', () => this.sendSnapshot());
    } else {
      this.scheduler.pause();
    }
  }

  /** Shows a session the host just created. From the panel's own form the webview switches on DidChangeSession; otherwise a Snapshot moves it. */
  adopt(entry: SessionEntry, origin: 'panel' | 'command'): void {
    this.activeId = entry.id;
    this.cursor = entry.log.total - entry.log.size;
    if (origin === 'panel') {
      this.postSummary(entry);
      this.scheduler.schedule();
    } else {
      this.sendSnapshot();
    }
  }

  select(id: string): void {
    if (!this.host.sessions.get(id)) return;
    this.activeId = id;
    this.sendSnapshot();
  }

  setRevealSecrets(reveal: boolean): void {
    this.revealSecrets = reveal;
    this.sendSnapshot();
  }

  dispose(): void {
    this.disposed = true;
    this.scheduler.dispose();
    // Closing the panel ends its analysis like it ends its connections.
    this.running?.abort.abort();
  }

  // ---------------------------------------------------------------------------------------
  // Analysis (from a command or the webview)

  /** Runs the auth matrix and shows it. Resolves with the view, or undefined when cancelled; rejects with a redacted sentence. */
  runAuthMatrix(params: AuthMatrixParams): Promise<AuthMatrixView | undefined> {
    return this.runAnalysis('auth-matrix', analysisTitle('auth-matrix', params), async (signal) => {
      const view = await this.host.runAuthMatrix(params, signal);
      this.authMatrix = view;
      this.post({ type: 'DidRunAuthMatrix', ...view });
      return view;
    });
  }

  /** Runs the transport comparison and shows it, likewise. */
  compareTransports(params: CompareParams): Promise<ComparisonView | undefined> {
    return this.runAnalysis('compare', analysisTitle('compare', params), async (signal) => {
      const result = await this.host.compareTransports(params, signal);
      this.comparison = result;
      this.post({ type: 'DidCompareTransports', result });
      return result;
    });
  }

  private async runAnalysis<T>(kind: AnalysisKind, title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    if (this.disposed) throw new Error('The inspector was closed.');
    if (this.running) throw new Error(`${this.running.title} is still running: wait for it, or cancel it in its notification.`);
    const abort = new AbortController();
    this.running = { kind, title, abort };
    this.post({ type: 'DidChangeAnalysisState', running: { kind, title } });
    try {
      return await work(abort.signal);
    } catch (err) {
      if (isCancel(err)) return undefined;
      throw err;
    } finally {
      this.running = undefined;
      this.post({ type: 'DidChangeAnalysisState', running: null });
    }
  }

  /** After a Snapshot: the latest results and a run in progress (state, not backlog). */
  private postAnalysis(): void {
    if (this.authMatrix) this.post({ type: 'DidRunAuthMatrix', ...this.authMatrix });
    if (this.comparison) this.post({ type: 'DidCompareTransports', result: this.comparison });
    if (this.running) this.post({ type: 'DidChangeAnalysisState', running: { kind: this.running.kind, title: this.running.title } });
  }

  // ---------------------------------------------------------------------------------------
  // From the webview

  async receive(raw: unknown): Promise<void> {
    if (!isFromWebview(raw)) {
      // Only the shape is logged: a malformed ConnectRequest may still hold a token.
      this.host.log.warn(`Dropped a message from the webview that does not fit the protocol (${describeShape(raw)}).`);
      return;
    }
    try {
      await this.handle(raw);
    } catch (err) {
      this.fail(err, raw.type);
    }
  }

  private async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'Ready':
        this.ready = true;
        this.scheduler.resume();
        this.sendSnapshot();
        return;
      case 'ConnectRequest':
        await this.host.connectFromPanel(m.config);
        return;
      case 'DisconnectRequest':
        this.require(m.sessionId);
        await this.host.sessions.close(m.sessionId);
        return;
      case 'SendRequest':
        await this.send(m.sessionId, m.data, m.format);
        return;
      case 'PingRequest':
        this.ping(m.sessionId);
        return;
      case 'SelectSessionRequest':
        this.require(m.sessionId);
        this.select(m.sessionId);
        return;
      case 'DetailRequest':
        this.detail(m.sessionId, m.seq);
        return;
      case 'ClearRequest':
        this.require(m.sessionId);
        this.host.sessions.clear(m.sessionId);
        return;
      case 'ExportRequest':
        this.require(m.sessionId);
        await this.host.exportSession(m.sessionId, m.format);
        return;
      case 'UseDemoRequest':
        this.pendingDefaults = await this.host.demoDefaults(m.transport);
        this.sendSnapshot();
        return;
      case 'DidFailInWebview':
        this.host.log.warn(`Webview: ${this.host.redactAll(m.message).slice(0, 2000)}`);
        return;
      case 'RunAuthMatrixRequest':
        await this.runAuthMatrix({ transport: m.transport, url: m.url, token: m.token, tokenUrl: m.tokenUrl, timeoutMs: m.timeoutMs });
        return;
      case 'CompareTransportsRequest':
        await this.compareTransports({ seconds: m.seconds, urls: m.urls, intervalMs: m.intervalMs });
        return;
      default: {
        const never: never = m;
        this.host.log.warn(`Unhandled webview message (${describeShape(never)}).`);
      }
    }
  }

  private require(id: string): SessionEntry {
    const entry = this.host.sessions.get(id);
    if (!entry) throw new Error('That session no longer exists (ended sessions are let go after a while).');
    return entry;
  }

  private async send(id: string, data: string, format: SendFormat): Promise<void> {
    const parsed = parseSendInput(data, format);
    if (!parsed.ok) {
      // The draft stays in the composer; the session is untouched.
      this.post({ type: 'DidFail', message: parsed.error });
      return;
    }
    const entry = this.require(id);
    if (!entry.live) throw new Error(`"${entry.name}" is an imported recording; nothing can be sent on it.`);
    const state = entry.live.state;
    if (state !== 'open') throw new Error(`Not sent: "${entry.name}" is ${state}. Connect again to send.`);
    try {
      await entry.live.send(parsed.data, { binary: parsed.binary });
    } catch (err) {
      throw new Error(entry.redactor.text(errorMessage(err)));
    }
  }

  private ping(id: string): void {
    const entry = this.require(id);
    if (!entry.live) throw new Error(`"${entry.name}" is an imported recording; it cannot ping.`);
    if (!canPing(entry.live)) throw new Error(`Ping is a WebSocket control frame; "${entry.name}" uses ${transportName(entry.transport)}.`);
    if (entry.live.state !== 'open') throw new Error(`Not sent: "${entry.name}" is ${entry.live.state}.`);
    entry.live.ping();
  }

  private detail(id: string, seq: number): void {
    const entry = this.require(id);
    const ev = findBySeq(entry.log, seq);
    const shown = (e: InspectorEvent) => toJsonEvent(this.revealSecrets ? e : entry.redactor.event(e));
    this.post({ type: 'DidLoadDetail', sessionId: id, seq, event: ev ? shown(ev) : null, related: ev ? relatedEvents(entry.log, ev).map(shown) : [] });
  }

  // ---------------------------------------------------------------------------------------
  // To the webview

  private canPost(): boolean {
    return this.ready && this.visible && !this.disposed;
  }

  private post(m: ToWebview): void {
    if (this.canPost()) this.postMessage(m);
  }

  private row(entry: SessionEntry, ev: InspectorEvent): EventRow {
    return toRow(this.revealSecrets ? ev : entry.redactor.event(ev));
  }

  private active(): SessionEntry | undefined {
    return this.activeId ? this.host.sessions.get(this.activeId) : undefined;
  }

  private stats(entry: SessionEntry): StatsSummary {
    return summarizeStats(entry.stats, entry.log, this.host.sessions.nowT(entry));
  }

  private summaryKey(entry: SessionEntry, withCounts: boolean): string {
    const s = this.host.sessions.summary(entry);
    return `${s.state}|${s.name}|${s.url}|${s.readOnly}${withCounts ? `|${s.total}|${s.dropped}` : ''}`;
  }

  private postSummary(entry: SessionEntry): void {
    this.postedSummaries.set(entry.id, this.summaryKey(entry, entry.id !== this.activeId));
    this.post({ type: 'DidChangeSession', session: this.host.sessions.summary(entry) });
  }

  private sendSnapshot(): void {
    if (!this.canPost()) return;
    const sessions = this.host.sessions;
    const entries = sessions.list();
    if (!this.active()) this.activeId = entries[entries.length - 1]?.id;
    const entry = this.active();
    const settings = this.host.settings();
    let rows: RowColumns = toColumns([]);
    let hints: Hint[] = [];
    let stats: StatsSummary | undefined;
    if (entry) {
      const t = takeEvents(entry.log, 0, MAX_ROWS_PER_POST);
      rows = toColumns(t.events.map((ev) => this.row(entry, ev)));
      this.cursor = t.next;
      stats = this.stats(entry);
      hints = this.host.hintsFor(entry, this.revealSecrets);
    }
    this.postedHints = JSON.stringify(hints);
    this.postedSummaries.clear();
    for (const e of entries) this.postedSummaries.set(e.id, this.summaryKey(e, e !== entry));
    this.lastSlowRefresh = this.clock();
    const defaults: Partial<ConnectionConfig> = {
      intervalMs: settings.pollIntervalMs,
      holdTimeoutMs: settings.longPollHoldTimeoutMs,
      timeoutMs: settings.timeoutMs,
      reconnect: settings.reconnect.enabled,
      ...this.pendingDefaults,
    };
    this.pendingDefaults = undefined;
    this.post({
      type: 'Snapshot',
      sessions: entries.map((e) => sessions.summary(e)),
      activeSessionId: entry?.id,
      rows,
      stats,
      hints,
      settings: { logCap: settings.logCap, revealSecrets: this.revealSecrets },
      demoUrl: this.host.demoUrl(),
      defaults,
    });
    this.postAnalysis();
    if (entry && (this.cursor < entry.log.total || sessions.isLive(entry))) this.scheduler.schedule();
  }

  /** One batch: new rows of the active session; on the slow tick also stats, hints and other sessions' counts. */
  private flush(): void {
    if (!this.canPost()) return;
    const sessions = this.host.sessions;
    const now = this.clock();
    const slow = now - this.lastSlowRefresh >= SLOW_REFRESH_MS;
    if (slow) this.lastSlowRefresh = now;
    const entry = this.active();
    let again = false;
    if (entry) {
      const { events, next, skipped } = takeEvents(entry.log, this.cursor, MAX_ROWS_PER_POST);
      this.cursor = next;
      if (events.length || skipped || slow) {
        this.post({ type: 'DidAppendRows', sessionId: entry.id, rows: toColumns(events.map((ev) => this.row(entry, ev))), total: entry.log.total, dropped: entry.log.dropped, stats: this.stats(entry) });
      }
      if (slow) {
        const hints = this.host.hintsFor(entry, this.revealSecrets);
        const json = JSON.stringify(hints);
        if (json !== this.postedHints) {
          this.postedHints = json;
          this.post({ type: 'DidUpdateHints', sessionId: entry.id, hints });
        }
      }
      // A live session keeps the loop going so rates decay and hints follow time while idle.
      again = next < entry.log.total || sessions.isLive(entry);
    }
    if (slow) {
      for (const e of sessions.list()) {
        if (e === entry) continue;
        if (this.postedSummaries.get(e.id) !== this.summaryKey(e, true)) this.postSummary(e);
      }
    }
    if (again) this.scheduler.schedule();
  }

  private fail(err: unknown, context: string): void {
    const message = this.host.redactAll(errorMessage(err));
    this.host.log.error(`${context}: ${message}`);
    this.post({ type: 'DidFail', message });
  }

  /** Handlers never throw into VS Code: a failure is logged and shown in the panel. */
  private guard(context: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err, context);
    }
  }
}

function describeShape(v: unknown): string {
  if (typeof v !== 'object' || v === null) return `a ${v === null ? 'null' : typeof v}`;
  const type = (v as { type?: unknown }).type;
  return typeof type === 'string' ? `type ${JSON.stringify(type.slice(0, 64))}, fields failed the check` : 'no "type" field';
}
