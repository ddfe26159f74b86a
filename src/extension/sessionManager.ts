import * as vscode from 'vscode';
import { EventLog } from '../shared/eventLog';
import type { ConnectionState, InspectorEvent, TransportKind } from '../shared/events';
import type { ConnectOptions } from '../shared/options';
import type { SessionSummary } from '../shared/protocol';
import { statsFromEvents, type SessionStats } from '../shared/stats';
import { createSession, type Session } from '../transports/index';
import { DisposableStore } from './disposables';
import { EdgeRedactor, redactorFor } from './edgeRedaction';

/** One session as the host keeps it: live (a transport Session) or imported (read-only). */
export interface SessionEntry {
  readonly id: string;
  name: string;
  readonly transport: TransportKind;
  readonly readOnly: boolean;
  readonly log: EventLog;
  readonly stats: SessionStats;
  readonly redactor: EdgeRedactor;
  /** The running transport; undefined for an imported recording. */
  readonly live?: Session;
  /** What the session runs with (settings applied). Holds secret values: memory only, never logged. */
  readonly options?: ConnectOptions;
  /** The connection as the person chose it, without settings (what "Save Current Connection" saves). */
  readonly saveable?: ConnectOptions;
  /** The target URL, redacted. */
  readonly url: string;
  /** Wall-clock creation time (ms since epoch). */
  readonly createdAt: number;
  readonly store: DisposableStore;
}

/** Ended sessions kept for export and review; older ones are let go (their logs can be large). */
const MAX_ENDED_SESSIONS = 20;

/**
 * Owns the sessions: creates them (through the transport core), records their events in
 * each Session's ring buffer, tells listeners about appends (coalesced, never per event)
 * and state changes, and closes them. The status bar shows the live count.
 */
export class SessionManager implements vscode.Disposable {
  private readonly entries = new Map<string, SessionEntry>();
  private nextId = 1;
  private readonly store = new DisposableStore();
  private appendPending = false;
  private readonly appendEmitter = this.store.add(new vscode.EventEmitter<void>());
  private readonly changeEmitter = this.store.add(new vscode.EventEmitter<SessionEntry>());
  private readonly removeEmitter = this.store.add(new vscode.EventEmitter<string>());
  private readonly clearEmitter = this.store.add(new vscode.EventEmitter<SessionEntry>());
  private statusBar?: vscode.StatusBarItem;

  /** Some session recorded events. Fired at most once per microtask, whatever the event rate. */
  readonly onDidAppend = this.appendEmitter.event;
  /** A session was added, changed state or was renamed. */
  readonly onDidChange = this.changeEmitter.event;
  readonly onDidRemove = this.removeEmitter.event;
  /** A session's log was emptied. */
  readonly onDidClear = this.clearEmitter.event;

  constructor(private readonly statusCommand: string) {}

  /**
   * Creates a live session (not yet connected). The transport records raw events (showSecrets:
   * true) because the user may ask per export or per panel to see secrets; every way out of
   * the host redacts through the entry's EdgeRedactor (see edgeRedaction.ts).
   */
  create(options: ConnectOptions, name: string, saveable?: ConnectOptions): SessionEntry {
    const redactor = redactorFor(options);
    const live = createSession({ ...options, showSecrets: true });
    const entry: SessionEntry = {
      id: `s${this.nextId++}`,
      name,
      transport: options.transport,
      readOnly: false,
      log: live.log,
      stats: live.stats,
      redactor,
      live,
      options,
      saveable,
      url: redactor.url(options.url),
      createdAt: Date.now(),
      store: new DisposableStore(),
    };
    // The receive path: one comparison or two and a flag per event; the rest happens in batches.
    // onAppend, not onEvent: messages recorded compactly stay without an event object (ev undefined).
    const off = live.onAppend((ev: InspectorEvent | undefined) => {
      if (ev?.type === 'auth') redactor.observe(ev);
      else if (ev?.type === 'state') this.stateChanged(entry);
      this.markAppended();
    });
    entry.store.addFn(off);
    this.add(entry);
    return entry;
  }

  /** Connects a created session. Rejects with the transport's one-sentence reason (already logged as an event). */
  async connect(entry: SessionEntry): Promise<void> {
    if (!entry.live) throw new Error(`"${entry.name}" is an imported recording; it cannot connect.`);
    try {
      await entry.live.connect();
    } finally {
      this.stateChanged(entry);
    }
  }

  /** Adds a read-only session holding an imported recording (its transport and URL as the file says). */
  addImported(name: string, events: InspectorEvent[], meta: { transport: TransportKind; url: string }, logCap: number): SessionEntry {
    const log = new EventLog(Math.max(1, Math.min(logCap, events.length)));
    for (const ev of events) log.push(ev);
    const redactor = new EdgeRedactor();
    const entry: SessionEntry = {
      id: `s${this.nextId++}`,
      name,
      transport: meta.transport,
      readOnly: true,
      log,
      stats: statsFromEvents(log),
      redactor,
      url: redactor.url(meta.url),
      createdAt: Date.now(),
      store: new DisposableStore(),
    };
    this.add(entry);
    return entry;
  }

  get(id: string): SessionEntry | undefined {
    return this.entries.get(id);
  }

  list(): SessionEntry[] {
    return [...this.entries.values()];
  }

  state(entry: SessionEntry): ConnectionState {
    return entry.live ? entry.live.state : 'closed';
  }

  isLive(entry: SessionEntry): boolean {
    return !!entry.live && entry.live.state !== 'closed';
  }

  liveCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (this.isLive(e)) n++;
    return n;
  }

  /** Session clock "now": a live session's clock, or the last recorded event's time. */
  nowT(entry: SessionEntry): number {
    if (entry.live && entry.live.state !== 'closed') return entry.live.now();
    return entry.stats.lastT;
  }

  summary(entry: SessionEntry): SessionSummary {
    return {
      id: entry.id,
      name: entry.name,
      transport: entry.transport,
      url: entry.url,
      state: this.state(entry),
      readOnly: entry.readOnly,
      total: entry.log.total,
      dropped: entry.log.dropped,
    };
  }

  async close(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry?.live) return;
    await entry.live.close(1000, 'closed by the user');
    this.stateChanged(entry);
  }

  /** Closes every live connection; the recordings stay for review and export. */
  async closeAll(): Promise<void> {
    await Promise.allSettled(this.list().map((e) => (e.live ? this.close(e.id) : Promise.resolve())));
  }

  /** Empties a session's log (the connection keeps running). */
  clear(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    entry.log.clear();
    this.clearEmitter.fire(entry);
    return true;
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    entry.store.dispose();
    if (entry.live) void entry.live.close().catch(() => undefined);
    this.removeEmitter.fire(id);
    this.updateStatusBar();
  }

  rename(id: string, name: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.name = name;
    this.changeEmitter.fire(entry);
  }

  private add(entry: SessionEntry): void {
    this.entries.set(entry.id, entry);
    this.pruneEnded();
    this.changeEmitter.fire(entry);
    this.updateStatusBar();
  }

  private pruneEnded(): void {
    const ended = this.list().filter((e) => !this.isLive(e));
    for (const e of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_SESSIONS))) this.remove(e.id);
  }

  private markAppended(): void {
    if (this.appendPending) return;
    this.appendPending = true;
    queueMicrotask(() => {
      this.appendPending = false;
      if (!this.store.isDisposed) this.appendEmitter.fire();
    });
  }

  private stateChanged(entry: SessionEntry): void {
    if (!this.entries.has(entry.id)) return;
    this.changeEmitter.fire(entry);
    this.updateStatusBar();
  }

  private updateStatusBar(): void {
    if (this.store.isDisposed) return;
    if (this.entries.size === 0) {
      this.statusBar?.hide();
      return;
    }
    if (!this.statusBar) {
      this.statusBar = this.store.add(vscode.window.createStatusBarItem('realtimeInspector.sessions', vscode.StatusBarAlignment.Left, 50));
      this.statusBar.name = 'Realtime Inspector';
      this.statusBar.command = this.statusCommand;
    }
    const live = this.liveCount();
    this.statusBar.text = `$(radio-tower) ${live} live`;
    const lines = this.list().map((e) => `${this.state(e) === 'open' ? '●' : '○'} ${e.name} — ${e.transport}, ${this.state(e)}${e.readOnly ? ' (imported)' : ''}`);
    this.statusBar.tooltip = `Realtime Inspector: ${live} live connection${live === 1 ? '' : 's'}\n${lines.join('\n')}\n\nClick to open the inspector.`;
    this.statusBar.show();
  }

  dispose(): void {
    for (const e of this.entries.values()) {
      e.store.dispose();
      if (e.live) void e.live.close().catch(() => undefined);
    }
    this.entries.clear();
    this.store.dispose();
  }
}
