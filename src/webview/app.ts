import { DEFAULTS } from '../shared/options';
import type { EventRow, FromWebview, SessionSummary, ViewSettings } from '../shared/protocol';
import { AnalysisView } from './analysisView';
import { Banners } from './banners';
import { Composer } from './composer';
import { ConnectionForm } from './connectionForm';
import { DetailPane } from './detailPane';
import { h } from './dom';
import { HintsView } from './hintsView';
import { checkHostMessage, type HostMessage } from './hostMessages';
import { LogView } from './logView';
import { SessionTabs } from './sessionTabs';
import { SidePane } from './sidePane';
import { createVsCodeApi } from './state';
import { StatsStrip } from './statsStrip';

/** Keyboard moves through rows quickly: ask for the detail once the selection settles. */
const KEY_DETAIL_DELAY_MS = 80;

/** Builds the panel, wires it to the host protocol, and posts Ready once listening. */
export function startApp(root: HTMLElement): void {
  const vscode = createVsCodeApi();
  const state = vscode.load();
  const save = (): void => vscode.save(state);
  const post = (m: FromWebview): void => vscode.post(m);

  let sessions: SessionSummary[] = [];
  let activeId: string | undefined;
  let settings: ViewSettings = { logCap: DEFAULTS.logCap, revealSecrets: false };
  let snapshotSeen = false;
  /** A UseDemoRequest is out: the next Snapshot's defaults fill the form. */
  let pendingDemo = false;
  /** A ConnectRequest is out: the next new session becomes the active one. */
  let pendingConnect: { sendUrl?: string } | undefined;
  const sendUrls = new Map<string, string | undefined>();
  let detailTimer: number | undefined;

  const report = (message: string): void => {
    console.warn(`[realtime-inspector] ${message}`);
    post({ type: 'DidFailInWebview', message: message.slice(0, 10_000) });
  };
  const current = (): SessionSummary | undefined => sessions.find((s) => s.id === activeId);

  const banners = new Banners();
  const form = new ConnectionForm(state.form, state.setupOpen, {
    connect: (config) => {
      pendingConnect = { sendUrl: config.sendUrl };
      post({ type: 'ConnectRequest', config });
    },
    disconnect: () => {
      if (activeId) post({ type: 'DisconnectRequest', sessionId: activeId });
    },
    demo: (transport) => {
      pendingDemo = true;
      post({ type: 'UseDemoRequest', transport });
    },
    change: () => {
      save();
      // The send URL typed in the form is what the composer names for HTTP transports.
      updateComposer();
    },
    toggleSetup: (open) => {
      state.setupOpen = open;
      save();
    },
  });
  const tabs = new SessionTabs((id) => {
    post({ type: 'SelectSessionRequest', sessionId: id });
    // The host answers with a Snapshot of that session; until then show it empty.
    switchTo(id);
  });
  const stats = new StatsStrip();
  const detail = new DetailPane(state.detailTab, (t) => {
    state.detailTab = t;
    save();
  });
  const requestDetail = (row: EventRow, via: 'mouse' | 'keyboard'): void => {
    detail.showRow(row);
    if (detailTimer !== undefined) clearTimeout(detailTimer);
    detailTimer = undefined;
    const sessionId = activeId;
    if (!sessionId) return;
    const ask = (): void => post({ type: 'DetailRequest', sessionId, seq: row.seq });
    if (via === 'keyboard') detailTimer = window.setTimeout(ask, KEY_DETAIL_DELAY_MS);
    else ask();
  };
  const log = new LogView(state.filter, {
    select: requestDetail,
    filterChange: (spec) => {
      state.filter = spec;
      save();
    },
    clear: () => {
      // Cleared when the host confirms (DidClear), so a failed clear loses nothing.
      if (activeId) post({ type: 'ClearRequest', sessionId: activeId });
    },
    export: (format) => {
      if (activeId) post({ type: 'ExportRequest', sessionId: activeId, format });
    },
  });
  const composer = new Composer(state.composer, {
    send: (data, format) => {
      if (activeId) post({ type: 'SendRequest', sessionId: activeId, data, format });
    },
    ping: () => {
      if (activeId) post({ type: 'PingRequest', sessionId: activeId });
    },
    change: (c) => {
      state.composer = c;
      save();
    },
  });
  const hints = new HintsView({ header: false });
  const analysis = new AnalysisView(state.analysis, {
    runAuthMatrix: (params) => post({ type: 'RunAuthMatrixRequest', ...params }),
    compare: (params) => post({ type: 'CompareTransportsRequest', ...params }),
    formTarget: () => form.analysisTarget(),
    change: (prefs) => {
      state.analysis = prefs;
      save();
    },
  });
  /** Where the split between the log and the bottom area sits, normally and expanded. */
  const SPLIT_NORMAL = '68%';
  const SPLIT_EXPANDED = '22%';
  const side = new SidePane({ hints, analysis }, state.sideTab, {
    select: (tab) => {
      state.sideTab = tab;
      save();
      layoutBottom();
    },
    expand: (expanded) => {
      bottom.classList.toggle('side-maximized', expanded);
      outer.handlePosition = expanded ? SPLIT_EXPANDED : SPLIT_NORMAL;
    },
  });

  const inner = document.createElement('vscode-split-layout');
  inner.split = 'vertical';
  inner.initialHandlePosition = '58%';
  inner.handlePosition = '58%';
  inner.id = 'split-main';
  log.el.slot = 'start';
  detail.el.slot = 'end';
  inner.append(log.el, detail.el);
  const bottom = h('div', { class: 'bottom' }, composer.el, side.el);
  // Tables need width: the Analysis tab takes two thirds of the bottom area.
  const layoutBottom = (): void => void bottom.classList.toggle('analysis-wide', side.tab === 'analysis');
  layoutBottom();
  const outer = document.createElement('vscode-split-layout');
  outer.split = 'horizontal';
  outer.initialHandlePosition = SPLIT_NORMAL;
  outer.handlePosition = SPLIT_NORMAL;
  outer.id = 'split-outer';
  outer.classList.add('main');
  inner.slot = 'start';
  bottom.slot = 'end';
  outer.append(inner, bottom);
  root.append(h('div', { class: 'app', id: 'app' }, banners.el, form.bar, form.setup, tabs.el, stats.el, outer));

  function refreshSession(): void {
    const s = current();
    // A session opened by a command (or npm start) leaves the form empty: show what it connects
    // to, unless the URL holds a masked secret (connecting with the mask would send it).
    if (s && !s.readOnly && !state.form.url.trim() && !s.url.includes('«redacted')) form.applyDefaults({ url: s.url, transport: s.transport });
    form.setSession(s);
    updateComposer();
    tabs.update(sessions, activeId);
    log.setSessionAvailable(!!s);
  }

  function updateComposer(): void {
    const s = current();
    // Sessions connected from this panel remember their send URL; others (after a reload) show the form's.
    composer.setSession(s, s ? (sendUrls.has(s.id) ? sendUrls.get(s.id) : state.form.sendUrl || undefined) : undefined);
  }

  /** Shows another session: its rows come with the host's Snapshot or later batches. */
  function switchTo(id: string): void {
    if (id === activeId) return;
    activeId = id;
    log.clear();
    detail.clear();
    stats.update(undefined);
    hints.update([]);
    refreshSession();
  }

  function upsert(s: SessionSummary): boolean {
    const i = sessions.findIndex((x) => x.id === s.id);
    if (i >= 0) sessions[i] = s;
    else sessions.push(s);
    return i < 0;
  }

  function handle(m: HostMessage): void {
    switch (m.type) {
      case 'Snapshot': {
        settings = m.settings;
        sessions = m.sessions;
        const previous = activeId;
        activeId = m.activeSessionId !== undefined && sessions.some((s) => s.id === m.activeSessionId) ? m.activeSessionId : sessions.some((s) => s.id === previous) ? previous : sessions[0]?.id;
        log.setCap(settings.logCap);
        form.setRevealSecrets(settings.revealSecrets);
        log.reset(activeId ? m.rows : [], current()?.dropped ?? 0);
        stats.update(activeId ? m.stats : undefined);
        hints.update(activeId ? m.hints : []);
        form.setDemoUrl(m.demoUrl);
        if ((pendingDemo || (!snapshotSeen && !state.form.url)) && Object.keys(m.defaults).length) form.applyDefaults(m.defaults);
        pendingDemo = false;
        snapshotSeen = true;
        refreshSession();
        // Keep the selected event when it is still there (a Snapshot also follows visibility changes).
        const seq = detail.seq;
        if (seq !== undefined) {
          if (activeId && activeId === previous && log.selectedSeq === seq) post({ type: 'DetailRequest', sessionId: activeId, seq });
          else {
            log.setSelected(undefined);
            detail.clear();
          }
        }
        break;
      }
      case 'DidAppendRows': {
        const s = sessions.find((x) => x.id === m.sessionId);
        if (s) {
          s.total = m.total;
          s.dropped = m.dropped;
        }
        if (!activeId && s) switchTo(s.id);
        if (m.sessionId === activeId) {
          log.append(m.rows, m.dropped);
          stats.update(m.stats);
        }
        break;
      }
      case 'DidChangeSession': {
        const isNew = upsert(m.session);
        if (isNew && pendingConnect && !m.session.readOnly) {
          sendUrls.set(m.session.id, pendingConnect.sendUrl);
          pendingConnect = undefined;
          switchTo(m.session.id);
        } else if (!activeId) switchTo(m.session.id);
        refreshSession();
        break;
      }
      case 'DidUpdateHints':
        if (m.sessionId === activeId) hints.update(m.hints);
        break;
      case 'DidLoadDetail':
        if (m.sessionId === activeId) detail.showDetail(m.seq, m.event, m.related);
        break;
      case 'DidClear':
        if (m.sessionId === activeId) {
          log.clear();
          detail.clear();
        }
        break;
      case 'DidFail':
        pendingDemo = false;
        banners.show(m.message);
        break;
      case 'DidRunAuthMatrix':
        analysis.showAuthMatrix(m);
        break;
      case 'DidCompareTransports':
        analysis.showComparison(m.result);
        break;
      case 'DidChangeAnalysisState':
        analysis.setRunning(m.running);
        side.setRunning(m.running !== null);
        // A run was started (here or by a command): show where its result will appear.
        if (m.running && side.tab !== 'analysis') side.select('analysis', true);
        break;
      default: {
        const unhandled: never = m;
        report(`unhandled host message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  window.addEventListener('message', (e: MessageEvent<unknown>) => {
    const checked = checkHostMessage(e.data);
    if (!checked.ok) {
      report(`Ignored a host message: ${checked.reason}.`);
      return;
    }
    if (checked.skippedRows) report(`Skipped ${checked.skippedRows} malformed row(s) in ${checked.message.type}.`);
    try {
      handle(checked.message);
    } catch (err) {
      report(`Failed to handle ${checked.message.type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  });
  window.addEventListener('error', (e) => report(`Webview error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => report(`Webview error: ${String(e.reason)}`));

  refreshSession();
  // Handshake: the host posts nothing before this.
  post({ type: 'Ready' });
}
